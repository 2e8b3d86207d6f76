// Waiting in tests: one poll for a condition, failing with what it waited for (never a bare timeout).

/** Resolves once `predicate` holds, checking every 50 ms; fails after `ms` naming `label` and what `detail` adds. */
export async function until(
  label: string,
  predicate: () => boolean,
  ms = 10_000,
  detail: () => string = () => "",
): Promise<void> {
  for (const end = Date.now() + ms; !predicate(); await new Promise((r) => setTimeout(r, 50))) {
    if (Date.now() > end) {
      const more = detail();
      throw new Error(`timed out after ${ms} ms waiting for ${label}${more ? `\n${more}` : ""}`);
    }
  }
}

/** Lets `ms` pass: for a test that checks nothing happens meanwhile, or paces its steps. */
export const settle = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
