// What a guest printed on its console, and waiting for something to appear there.
export class ConsoleLog {
  private text = "";

  append(chunk: Buffer | string): void {
    this.text += chunk.toString();
  }

  get length(): number {
    return this.text.length;
  }

  toString(): string {
    return this.text;
  }

  /**
   * Resolves with the first match of `pattern` after offset `from`; fails when `timeoutMs`
   * passes or `gone()` says the guest has ended, showing the end of the console.
   */
  async waitFor(
    pattern: RegExp,
    timeoutMs: number,
    from = 0,
    gone: () => string | undefined = () => undefined,
  ): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = this.text.slice(from).match(pattern);
      if (m) return m;
      const why = gone() ?? (Date.now() > deadline ? `${timeoutMs} ms passed` : undefined);
      if (why) throw new Error(`${why} before ${pattern} appeared on the console:\n${this.text.slice(-4000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
