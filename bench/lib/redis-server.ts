/** A real `redis-server` child process for the queue tests and benchmarks (see test/redis-fixture.ts). */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Why the Redis tests are skipped here, or null when `redis-server` can run. */
export function redisSkipReason(): string | null {
  const r = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0)
    return 'redis-server is not installed (scripts/setup.sh installs it: apt-get install -y redis-server)';
  return null;
}

/** Whether `openssl` can run (needed to make the TLS certificates at test time). */
export function hasOpenssl(): boolean {
  return spawnSync('openssl', ['version']).status === 0;
}

/** Certificates made at test time: a CA, a server certificate for 127.0.0.1 and a client one. */
export interface TlsFiles {
  readonly dir: string;
  readonly ca: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly clientCert: string;
  readonly clientKey: string;
}

/** A redis-server child process owned by the test. */
export interface RedisFixture {
  /** `redis://127.0.0.1:PORT` (no password in it). */
  readonly url: string;
  readonly port: number;
  /** `rediss://127.0.0.1:TLSPORT` when started with TLS. */
  readonly tlsUrl: string | null;
  readonly tls: TlsFiles | null;
  readonly process: ChildProcess;
  /** Kills the server and removes its certificates. */
  stop(): Promise<void>;
}

/** A TCP port that was free a moment ago (the OS picks it; callers retry if it is taken since). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function openssl(args: string[], cwd: string): void {
  const r = spawnSync('openssl', args, { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args[0]} failed: ${r.stderr}`);
}

/** Makes a CA and server/client certificates signed by it (2048-bit RSA, valid one day). */
export async function makeTlsFiles(): Promise<TlsFiles> {
  const dir = await mkdtemp(join(tmpdir(), 'vae-redis-tls-'));
  openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
      '-days',
      '1',
      '-subj',
      '/CN=vae-test-ca',
    ],
    dir,
  );
  await writeFile(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  for (const who of ['server', 'client']) {
    openssl(
      [
        'req',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        `${who}.key`,
        '-out',
        `${who}.csr`,
        '-subj',
        `/CN=vae-test-${who}`,
      ],
      dir,
    );
    openssl(
      [
        'x509',
        '-req',
        '-in',
        `${who}.csr`,
        '-CA',
        'ca.crt',
        '-CAkey',
        'ca.key',
        '-CAcreateserial',
        '-out',
        `${who}.crt`,
        '-days',
        '1',
        '-extfile',
        'san.ext',
      ],
      dir,
    );
  }
  const at = (f: string) => join(dir, f);
  return {
    dir,
    ca: at('ca.crt'),
    serverCert: at('server.crt'),
    serverKey: at('server.key'),
    clientCert: at('client.crt'),
    clientKey: at('client.key'),
  };
}

/** Starts redis-server once on the given ports; resolves when it accepts connections. */
function startOnce(args: string[]): Promise<{ child: ChildProcess } | { inUse: true }> {
  return new Promise((resolve, reject) => {
    const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const onData = (d: Buffer) => {
      output += d.toString();
      if (output.includes('Ready to accept connections')) {
        child.stdout?.off('data', onData);
        child.stdout?.resume();
        resolve({ child });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (/address already in use/i.test(output)) resolve({ inUse: true });
      else reject(new Error(`redis-server exited (${code}) before it was ready:\n${output}`));
    });
  });
}

/**
 * Starts a real `redis-server` (no persistence) on a free loopback port (or `port`), optionally with
 * `--requirepass` and a TLS port that requires client certificates signed by the test CA.
 */
export async function startRedis(
  options: { password?: string; tls?: boolean; port?: number } = {},
): Promise<RedisFixture> {
  const tls = options.tls ? await makeTlsFiles() : null;
  for (let attempt = 1; ; attempt++) {
    const port = options.port ?? (await freePort());
    const tlsPort = tls ? await freePort() : 0;
    const args = [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--daemonize',
      'no',
    ];
    if (options.password) args.push('--requirepass', options.password);
    if (tls)
      args.push(
        '--tls-port',
        String(tlsPort),
        '--tls-cert-file',
        tls.serverCert,
        '--tls-key-file',
        tls.serverKey,
        '--tls-ca-cert-file',
        tls.ca,
        '--tls-auth-clients',
        'yes',
      );
    const started = await startOnce(args);
    if ('inUse' in started) {
      if (attempt < 5 && options.port === undefined) continue;
      throw new Error('redis-server: no free port after 5 attempts');
    }
    const child = started.child;
    return {
      url: `redis://127.0.0.1:${port}`,
      port,
      tlsUrl: tls ? `rediss://127.0.0.1:${tlsPort}` : null,
      tls,
      process: child,
      stop: async () => {
        if (child.exitCode === null && child.signalCode === null) {
          const exited = new Promise((r) => child.once('exit', r));
          child.kill('SIGKILL');
          await exited;
        }
        if (tls) await rm(tls.dir, { recursive: true, force: true });
      },
    };
  }
}
