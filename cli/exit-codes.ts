/**
 * The CLI's exit codes. Pipelines branch on them (page someone on 4, not on 2), so they are
 * part of the documented interface (docs/PIPELINE.md, "Exit codes").
 */
export const EXIT = {
  /** Done: rolled back and healthy, or the command did what it was asked. */
  ok: 0,
  /** Wrong usage, or the API answered with an error (or not at all). */
  usageOrApi: 1,
  /** A safety check failed and was not forced; nothing was changed. */
  safety: 2,
  /** The deploy command failed; no redeploy was recorded. */
  deploy: 3,
  /** Redeployed and recorded, but the health URL did not turn healthy in time. */
  unhealthy: 4,
  /** The deploy gate said no: the environment is held, the tag is known bad, or (--require-ready) not ready. */
  gateClosed: 5,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
