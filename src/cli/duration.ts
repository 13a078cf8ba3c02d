/** Durations given on the command line, read one way for every command. */
import { toMs, type Duration, type DurationUnit } from '../core/time';

/**
 * Milliseconds of a CLI duration: a bare number is in `unit` (the option's
 * documented unit: `--watch 5` means seconds, `--older-than 500` milliseconds),
 * anything else a {@link Duration} string like `30s` or `7d`, read by `toMs`.
 *
 * @throws InvalidOptionError naming the command and option for anything else.
 */
export function cliDurationMs(text: string, unit: DurationUnit, option: string, command: string): number {
  const value = /^\d+(?:\.\d+)?$/.test(text) ? `${text}${unit}` : text;
  return toMs(value as Duration, option, command);
}
