/**
 * Where the CLI's words go. A person gets one line per step and, on a terminal only, a
 * spinner while something runs; a machine (`--json`) gets exactly one JSON object on stdout,
 * with everything else (the deploy command's output, progress) on stderr.
 */

export interface Sink {
  write(text: string): unknown;
  isTTY?: boolean | undefined;
}

export const MARK = { passed: '✓', failed: '✗', skipped: '–', planned: '·' } as const;

/** 0.04s, 3.2s, 1m 05s: short enough to sit at the end of a step's line. */
export function formatDuration(ms: number): string {
  if (ms < 10_000) return `${(ms / 1000).toFixed(2)}s`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export interface Progress {
  update(text: string): void;
  stop(): void;
}

export class Output {
  private active: { text: string; frame: number; timer: NodeJS.Timeout } | undefined;
  /** The last write ended mid-line (a deploy command's partial line): the spinner waits. */
  private midLine = false;

  constructor(
    readonly stdout: Sink,
    readonly stderr: Sink,
    readonly json: boolean,
    /** Also gets the result, in either mode (the GitHub Action reads its outputs from it). */
    private readonly onResult?: ((value: unknown) => void) | undefined,
  ) {}

  /** The stream a person watches: stdout, or stderr when stdout carries the JSON. */
  private get human(): Sink {
    return this.json ? this.stderr : this.stdout;
  }

  /** A line of the human report (nothing in --json mode: the JSON object says it all). */
  line(text = ''): void {
    if (this.json) return;
    this.withoutProgress(() => {
      this.stdout.write(`${text}\n`);
      return '\n';
    });
  }

  /** A warning or error for a person, on stderr in both modes. */
  warn(text: string): void {
    this.withoutProgress(() => {
      this.stderr.write(`${text}\n`);
      return '\n';
    });
  }

  /** A spinner with a status text, on a terminal only; elsewhere nothing (logs stay clean). */
  progress(text: string): Progress {
    const sink = this.human;
    if (!sink.isTTY) return { update: () => {}, stop: () => {} };
    this.stopProgress();
    const timer = setInterval(() => this.draw(), 100);
    timer.unref();
    this.active = { text, frame: 0, timer };
    this.draw();
    return {
      update: (next) => {
        if (this.active) {
          this.active.text = next;
          this.draw();
        }
      },
      stop: () => this.stopProgress(),
    };
  }

  /** Output of the deploy command: kept apart from the JSON on stdout, and from the spinner. */
  passthrough(chunk: Buffer | string, stream: 'stdout' | 'stderr'): void {
    const sink = this.json || stream === 'stderr' ? this.stderr : this.stdout;
    this.withoutProgress(() => {
      const text = chunk.toString();
      sink.write(text);
      // On a terminal both streams share the screen the spinner is drawn on.
      return text;
    });
  }

  /** The one JSON object of --json mode. */
  result(value: unknown): void {
    this.onResult?.(value);
    if (this.json) this.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  private draw(): void {
    if (!this.active || this.midLine) return;
    const frame = FRAMES[this.active.frame++ % FRAMES.length];
    this.human.write(`\r\x1b[2K${frame} ${this.active.text}`);
  }

  private clearLine(): void {
    if (this.active && !this.midLine) this.human.write('\r\x1b[2K');
  }

  private withoutProgress(write: () => string): void {
    this.clearLine();
    const text = write();
    if (this.active) this.midLine = text.length > 0 && !text.endsWith('\n');
    this.draw();
  }

  private stopProgress(): void {
    if (!this.active) return;
    clearInterval(this.active.timer);
    this.clearLine();
    if (this.midLine) this.human.write('\n');
    this.active = undefined;
    this.midLine = false;
  }
}
