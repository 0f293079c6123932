/**
 * Test helpers for the CLI: run `runnel` as a real process or in-process, a fake JobManager
 * REST server on a free port, free ports and configuration folders.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage } from 'node:http';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Test } from 'tap';
import { runCli } from '../../src/cli/program.js';

export const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
export const RUNNEL_SCRIPT = fileURLToPath(new URL('../../scripts/runnel', import.meta.url));
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A job id as the REST API and the CLI spell it. */
export const JOB_ID = '5e20cb6b0f357591171dfcca2eea09de';

export interface CliResult {
  readonly code: number | string;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** Run scripts/runnel instead of `node --import tsx src/cli/main.ts`. */
  readonly viaScript?: boolean;
  /** Or any executable standing for `runnel` (e.g. a symlink to the script). */
  readonly executable?: string;
  readonly timeoutMs?: number;
}

/**
 * Runs `runnel args...` as a child process to its end. A child still running at the test's
 * end (or after `timeoutMs`) is killed by pid.
 */
export function runRunnel(t: Test, args: readonly string[], options: RunOptions = {}): Promise<CliResult> {
  const [command, argv] =
    options.executable !== undefined
      ? [options.executable, [...args]]
      : options.viaScript === true
        ? [RUNNEL_SCRIPT, [...args]]
        : [process.execPath, ['--import', 'tsx', MAIN, ...args]];
  const child = spawn(command, argv, {
    cwd: options.cwd ?? REPO_ROOT,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pid = child.pid;
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  let alive = true;
  const kill = (): void => {
    if (alive && pid !== undefined) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  };
  t.teardown(kill);
  const timer = setTimeout(kill, options.timeoutMs ?? 30_000);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      alive = false;
      clearTimeout(timer);
      resolve({ code: code ?? signal ?? -1, stdout, stderr });
    });
  });
}

/** Runs the CLI in this process with captured output; for verbs that end by themselves. */
export async function runInProcess(args: readonly string[], env: NodeJS.ProcessEnv = {}, cwd = REPO_ROOT): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const outcome = await runCli(args, {
    stdout: (text) => (stdout += text),
    stderr: (text) => (stderr += text),
    env,
    cwd,
  });
  return { code: outcome.kind === 'exit' ? outcome.code : 'serving', stdout, stderr };
}

/** A port that was free a moment ago (bound to 0, then released). */
export async function freePort(): Promise<number> {
  const server = createTcpServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A fresh folder holding `config.yaml` with `yaml` (one per call), removed after the test. */
export function confDir(t: Test, yaml = ''): string {
  const dir = mkdtempSync(join(tmpdir(), 'runnel-conf-'));
  writeFileSync(join(dir, 'config.yaml'), yaml);
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export interface RecordedRequest {
  readonly method: string;
  /** Path and query, e.g. `/jobs/<id>?mode=cancel`. */
  readonly url: string;
  readonly contentType: string | undefined;
  /** The parsed JSON body; undefined when there was none. */
  readonly body: unknown;
}

export interface FakeReply {
  readonly status: number;
  /** Sent as JSON; a string is sent as it is. */
  readonly body?: unknown;
}

export interface FakeRestServer {
  readonly port: number;
  /** `-m` value pointing at this server. */
  readonly address: string;
  readonly requests: RecordedRequest[];
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (text += chunk));
    req.on('end', () => resolve(text));
    req.on('error', reject);
  });
}

/** An HTTP server on a free port answering with `handle`; it records every request. */
export async function fakeRestServer(t: Test, handle: (request: RecordedRequest) => FakeReply): Promise<FakeRestServer> {
  const requests: RecordedRequest[] = [];
  const server = createHttpServer((req, res) => {
    void readBody(req).then((text) => {
      const request: RecordedRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        contentType: req.headers['content-type'],
        body: text === '' ? undefined : (JSON.parse(text) as unknown),
      };
      requests.push(request);
      const reply = handle(request);
      const payload = reply.body === undefined ? '' : typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
      res.writeHead(reply.status, { 'content-type': 'application/json' });
      res.end(payload);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const { port } = server.address() as AddressInfo;
  return { port, address: `127.0.0.1:${port}`, requests };
}
