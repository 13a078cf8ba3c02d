/**
 * A progress bar on stderr for long batch work (no dependency): redrawn in
 * place on a terminal; on a pipe or a log, nothing until the end, so logs
 * stay readable. Stdout keeps the result alone, for scripts.
 */

/** One line of the bar: `retry  [########------------]  40%  400/1000`. */
export function renderProgress(label: string, done: number, total: number, width = 24): string {
  const fraction = total > 0 ? Math.min(1, done / total) : 1;
  const filled = Math.round(fraction * width);
  return `${label}  [${'#'.repeat(filled)}${'-'.repeat(width - filled)}]  ${String(Math.floor(fraction * 100)).padStart(3)}%  ${done}/${total}`;
}

/** Writes the bar to a stream when it is a terminal. */
export class ProgressBar {
  readonly #label: string;
  readonly #out: NodeJS.WriteStream;
  #drawn = false;

  constructor(label: string, out: NodeJS.WriteStream = process.stderr) {
    this.#label = label;
    this.#out = out;
  }

  update(progress: { done: number; total: number }): void {
    if (!this.#out.isTTY) return;
    this.#out.write(`\r${renderProgress(this.#label, progress.done, progress.total)}`);
    this.#drawn = true;
  }

  /** Ends the bar's line, if one was drawn. */
  end(): void {
    if (this.#drawn) this.#out.write('\n');
    this.#drawn = false;
  }
}
