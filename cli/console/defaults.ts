/** The console's default port: fixed, so a bookmarked origin keeps working (the token changes per launch). */
export const DEFAULT_CONSOLE_PORT = 8431;
