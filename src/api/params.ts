/**
 * Flink's ParameterTool for job arguments: `--key value` pairs and bare `--flag`s.
 * `ParameterTool.fromArgs(process.argv.slice(2))` in a job file.
 */
export class ParameterTool {
  private constructor(private readonly values: ReadonlyMap<string, string>) {}

  static fromArgs(args: readonly string[]): ParameterTool {
    const values = new Map<string, string>();
    for (let i = 0; i < args.length; i++) {
      const arg = args[i]!;
      if (!arg.startsWith('-') || arg === '-' || arg === '--') {
        throw new Error(`Error parsing arguments '${args.join(' ')}': expected a --key, found '${arg}'`);
      }
      const key = arg.replace(/^--?/, '');
      const next = args[i + 1];
      if (next !== undefined && !(next.startsWith('--') || (next.startsWith('-') && Number.isNaN(Number(next))))) {
        values.set(key, next);
        i++;
      } else {
        values.set(key, '__NO_VALUE_KEY');
      }
    }
    return new ParameterTool(values);
  }

  has(key: string): boolean {
    return this.values.has(key);
  }

  get(key: string): string | undefined;
  get(key: string, defaultValue: string): string;
  get(key: string, defaultValue?: string): string | undefined {
    const v = this.values.get(key);
    if (v === undefined || v === '__NO_VALUE_KEY') return defaultValue;
    return v;
  }

  getRequired(key: string): string {
    const v = this.get(key);
    if (v === undefined) throw new Error(`No data for required key '${key}': pass --${key} <value>`);
    return v;
  }

  getInt(key: string, defaultValue?: number): number {
    const v = this.get(key);
    if (v === undefined) {
      if (defaultValue === undefined) throw new Error(`No data for required key '${key}': pass --${key} <integer>`);
      return defaultValue;
    }
    const n = Number(v);
    if (!Number.isInteger(n)) throw new Error(`--${key} expects an integer, got '${v}'`);
    return n;
  }

  getNumber(key: string, defaultValue?: number): number {
    const v = this.get(key);
    if (v === undefined) {
      if (defaultValue === undefined) throw new Error(`No data for required key '${key}': pass --${key} <number>`);
      return defaultValue;
    }
    const n = Number(v);
    if (Number.isNaN(n)) throw new Error(`--${key} expects a number, got '${v}'`);
    return n;
  }

  toMap(): Record<string, string> {
    return Object.fromEntries(this.values);
  }
}
