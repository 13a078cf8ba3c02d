/** An Executor that records each statement and runs nothing: for tests of what SQL an operation sends. */
import type { ExecResult, Executor, SqlParam } from '../../src/core/executor';

export interface RecordedCall {
  readonly sql: string;
  readonly params: readonly SqlParam[];
}

/** Answers every statement with no rows and 1 affected row. */
export function recorder(): Executor & { calls: RecordedCall[] } {
  const calls: RecordedCall[] = [];
  return {
    calls,
    async query(sql: string, params: readonly SqlParam[]): Promise<ExecResult> {
      calls.push({ sql, params });
      return { rows: [], affectedRows: 1 };
    },
  };
}
