/**
 * vtgate refuses an `ALTER VSCHEMA` that raced another one ("failed to update
 * vschema as the session's version was stale; please try again", seen on
 * v0.24.4 when several sessions change the vschema at once). The change did
 * not happen, so running it again is safe.
 */

const STALE = /session's version was stale/;

/** Runs `change`, again (up to `attempts` times in all, with a short pause) while vtgate says the vschema version was stale. */
export async function retryStaleVschema<T>(change: () => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await change();
    } catch (err) {
      if (attempt >= attempts || !STALE.test(err instanceof Error ? err.message : String(err))) throw err;
      await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
    }
  }
}
