/**
 * Reads a `config.yaml` as Flink 1.19+ does: flat dotted keys (`rest.port: 8081`), nested
 * maps (`rest: {port: 8081}`) and any mix of the two, all flattened to dotted keys.
 *
 * Walks the YAML syntax tree rather than the parsed object so that every error can name
 * its line, and so that a key written twice (even once flat and once nested) is caught.
 */
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type YAMLError } from 'yaml';
import { ConfigError } from './errors.js';
import type { RawScalar, RawValue } from './types.js';

interface Seen {
  readonly line: number;
  readonly path: readonly string[];
}

const HINTS: Partial<Record<YAMLError['code'], string>> = {
  TAB_AS_INDENT: 'Indent with spaces; YAML does not allow tabs.',
  BAD_INDENT: 'Line up the keys of one map at the same indentation, and close every [ or { that is opened.',
  BLOCK_AS_IMPLICIT_KEY: 'A key with a value cannot also have nested keys: remove the value or un-indent the next line.',
  MISSING_CHAR: 'Close the quote or bracket that is left open.',
  BAD_DQ_ESCAPE: "Escape backslashes in double quotes as '\\\\', or use single quotes.",
  MULTIPLE_DOCS: "Keep the whole configuration in one YAML document (no second '---').",
};
const DEFAULT_HINT = "Write each setting as 'key: value', with a space after the colon.";

/**
 * Parses YAML text into flat keys and raw values; `file` names the text in errors. Keys
 * with an empty value (`key:`) are left out, so that the option keeps its default.
 * @throws ConfigError naming the file and line, for malformed YAML and for keys given twice.
 */
export function parseConfigYaml(text: string, file: string): Map<string, RawValue> {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: false, prettyErrors: false });
  const lineOf = (offset: number | undefined): number => (offset === undefined ? 0 : lineCounter.linePos(offset).line);

  const first = doc.errors[0];
  if (first !== undefined) {
    const { line, col } = lineCounter.linePos(first.pos[0]);
    const sourceLine = text.split(/\r?\n/)[line - 1] ?? '';
    throw new ConfigError(
      `Malformed YAML in ${file} at line ${line}, column ${col}: ${first.message.replace(/\.$/, '')}. ` +
        `${HINTS[first.code] ?? DEFAULT_HINT}\n  ${line} | ${sourceLine}`,
      { source: file, line },
      { cause: first },
    );
  }

  const values = new Map<string, RawValue>();
  const seen = new Map<string, Seen>();
  const fail = (message: string, line: number, key?: string): ConfigError =>
    new ConfigError(`${message} in ${file} at line ${line}.`, { source: file, line, ...(key === undefined ? {} : { key }) });

  const record = (path: readonly string[], line: number, value: RawValue | undefined): void => {
    const key = path.join('.');
    const earlier = seen.get(key);
    if (earlier !== undefined) {
      throw new ConfigError(
        `Configuration key '${key}' is given twice in ${file}: at line ${earlier.line} (${describePath(earlier.path)}) ` +
          `and at line ${line} (${describePath(path)}). Remove one of them.`,
        { source: file, line, key },
      );
    }
    seen.set(key, { line, path });
    if (value !== undefined) values.set(key, value);
  };

  const visit = (input: unknown, path: readonly string[], line: number): void => {
    const node = isAlias(input) ? input.resolve(doc) : input;
    if (isMap(node)) {
      for (const pair of node.items) {
        const keyNode = pair.key;
        const keyLine = isScalar(keyNode) ? lineOf(keyNode.range?.[0]) : line;
        if (!isScalar(keyNode) || keyNode.value === null || String(keyNode.value).trim() === '') {
          throw fail('Expected a plain key before the colon', keyLine);
        }
        visit(pair.value, [...path, String(keyNode.value)], keyLine);
      }
    } else if (path.length === 0) {
      if (node !== null && node !== undefined && !(isScalar(node) && node.value === null)) {
        throw fail("Expected settings as 'key: value' lines at the top level", line || 1);
      }
    } else if (isSeq(node)) {
      const items = node.items.map((item): RawScalar => {
        const resolved = isAlias(item) ? item.resolve(doc) : item;
        const value = isScalar(resolved) ? toRawScalar(resolved.value) : undefined;
        if (value === undefined) {
          throw fail(`The list under '${path.join('.')}' may only hold plain values`, line, path.join('.'));
        }
        return value;
      });
      record(path, line, items);
    } else if (isScalar(node)) {
      record(path, line, node.value === null ? undefined : toRawScalar(node.value));
    } else {
      record(path, line, undefined);
    }
  };

  visit(doc.contents, [], 1);
  return values;
}

function toRawScalar(value: unknown): RawScalar | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  return String(value);
}

/** How a key was written: `flat 'rest.port'` or `nested 'rest' > 'port'`. */
function describePath(path: readonly string[]): string {
  const quoted = path.map((segment) => `'${segment}'`);
  return path.length === 1 ? `flat ${quoted.join('')}` : `nested ${quoted.join(' > ')}`;
}
