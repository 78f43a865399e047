import { randomBytes } from 'node:crypto';
import { link, mkdir, open, readFile, rename, stat, unlink, utimes } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { getLogger } from '@vae/core';

const log = getLogger('embed:lease');

/** Timing of a {@link TableLease}. */
export interface LeaseTiming {
  /** How often the holder touches its lock file. */
  readonly heartbeatMs: number;
  /** After how long without a heartbeat a holder is presumed dead (whatever its PID). */
  readonly staleMs: number;
}

/** Default {@link LeaseTiming}: a heartbeat every 2 s, a holder silent for 30 s is presumed dead. */
export const LEASE_DEFAULTS: LeaseTiming = Object.freeze({ heartbeatMs: 2000, staleMs: 30_000 });

/** Who holds a table's writer lease (the lock file's content). */
export interface LeaseOwner {
  readonly pid: number;
  readonly host: string;
  /** Random: tells this holder's lock file from a later one with a reused PID. */
  readonly token: string;
  readonly since: string;
  /** The holder's command line, for the message another writer gets. */
  readonly command: string;
}

/** Another live process holds the writer lease of the table. */
export class TableBusyError extends Error {
  constructor(
    message: string,
    readonly owner: LeaseOwner | null,
  ) {
    super(message);
    this.name = 'TableBusyError';
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readOwner(file: string): Promise<{ owner: LeaseOwner | null; mtimeMs: number } | null> {
  try {
    const [text, s] = await Promise.all([readFile(file, 'utf8'), stat(file)]);
    let owner: LeaseOwner | null = null;
    try {
      owner = JSON.parse(text) as LeaseOwner;
    } catch {
      // Being written right now, or garbage: judged by its age alone.
    }
    return { owner, mtimeMs: s.mtimeMs };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/** Why a lock file's holder is presumed gone, or null while it may be alive. */
function staleReason(found: { owner: LeaseOwner | null; mtimeMs: number }, staleMs: number): string | null {
  const age = Date.now() - found.mtimeMs;
  if (age > staleMs) return `no heartbeat for ${Math.round(age / 1000)} s`;
  const o = found.owner;
  if (o && o.host === hostname() && !pidAlive(o.pid)) return `pid ${o.pid} is no longer running`;
  return null;
}

function describeOwner(o: LeaseOwner | null, mtimeMs: number): string {
  const beat = `last heartbeat ${((Date.now() - mtimeMs) / 1000).toFixed(1)} s ago`;
  return o ? `pid ${o.pid} on ${o.host}, since ${o.since}, ${beat}: ${o.command}` : `unknown holder, ${beat}`;
}

/**
 * The writer lease of one embeddings table: a lock file `NAME.lance.lock` beside the table, created
 * exclusively (`O_EXCL`) with the holder's PID, host, a random token and its command line, and
 * touched every `heartbeatMs` while held. A second writer gets a {@link TableBusyError} naming the
 * holder. A lock file whose holder is gone (same host and its PID no longer runs, or no heartbeat
 * for `staleMs`, e.g. on another host sharing the folder) is taken over: renamed aside, checked to
 * still be the stale one (else put back), then replaced. The holder checks at each heartbeat that
 * the file is still its own; {@link TableLease.check} throws once it is not.
 */
export class TableLease {
  private lost: string | null = null;
  private readonly timer: NodeJS.Timeout;

  private constructor(
    readonly file: string,
    readonly owner: LeaseOwner,
    heartbeatMs: number,
  ) {
    this.timer = setInterval(() => void this.beat(), heartbeatMs);
    this.timer.unref();
  }

  /** Takes the lease of the table directory `tableDir` (`…/NAME.lance`) or throws {@link TableBusyError}. */
  static async acquire(tableDir: string, options: Partial<LeaseTiming> = {}): Promise<TableLease> {
    const { heartbeatMs, staleMs } = { ...LEASE_DEFAULTS, ...options };
    const file = `${tableDir}.lock`;
    // The table's folder may not exist yet (LanceDB creates it on the first write).
    await mkdir(dirname(file), { recursive: true });
    const owner: LeaseOwner = {
      pid: process.pid,
      host: hostname(),
      token: randomBytes(8).toString('hex'),
      since: new Date().toISOString(),
      command: process.argv.slice(1).join(' ').slice(0, 300),
    };
    for (let attempt = 0; attempt < 5; attempt++) {
      if (await createExclusive(file, owner)) return new TableLease(file, owner, heartbeatMs);
      const found = await readOwner(file);
      if (!found) continue;
      const why = staleReason(found, staleMs);
      if (!why) {
        if (!found.owner && attempt < 4) {
          await new Promise((r) => setTimeout(r, 20));
          continue;
        }
        throw new TableBusyError(
          `${tableDir}: another vae embed is writing this table (${describeOwner(found.owner, found.mtimeMs)}); wait for it to finish or stop it (its lock: ${file})`,
          found.owner,
        );
      }
      if (await takeOver(file, found.owner, owner)) log.warn(`${tableDir}: took over the writer lease (${why})`);
    }
    throw new TableBusyError(`${tableDir}: could not take the writer lease (${file} keeps changing)`, null);
  }

  /** Throws when the lease was lost (another writer took it over after a long silence). */
  check(): void {
    if (this.lost) throw new Error(`${this.file}: this run lost the table's writer lease: ${this.lost}`);
  }

  private async beat(): Promise<void> {
    if (this.lost) return;
    try {
      const found = await readOwner(this.file);
      if (found?.owner?.token !== this.owner.token) {
        this.lost = found?.owner
          ? `now held by pid ${found.owner.pid} on ${found.owner.host}`
          : 'its lock file is gone';
        return;
      }
      const now = new Date();
      await utimes(this.file, now, now);
    } catch (err) {
      log.warn(`${this.file}: heartbeat failed (${(err as Error).message})`);
    }
  }

  /** Stops the heartbeat and removes the lock file if it is still this holder's. */
  async release(): Promise<void> {
    clearInterval(this.timer);
    const found = await readOwner(this.file).catch(() => null);
    if (found?.owner?.token === this.owner.token) await unlink(this.file).catch(() => undefined);
  }
}

/** Creates `file` with `owner` unless it exists; false when it does. */
async function createExclusive(file: string, owner: LeaseOwner): Promise<boolean> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(file, 'wx');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    await handle.writeFile(`${JSON.stringify(owner)}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  return true;
}

/**
 * Moves a stale lock file aside so that a new one can be created. When another process replaced it
 * meanwhile (what was moved is not the stale holder's), it is put back (`link` fails if a third
 * one exists by then; that holder keeps the lease and the other notices at its next heartbeat).
 */
async function takeOver(file: string, stale: LeaseOwner | null, me: LeaseOwner): Promise<boolean> {
  const aside = `${file}.stale-${me.pid}-${me.token}`;
  try {
    await rename(file, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
  const moved = await readOwner(aside);
  if (moved?.owner && moved.owner.token !== stale?.token) {
    await link(aside, file).catch(() => undefined);
    await unlink(aside).catch(() => undefined);
    return false;
  }
  await unlink(aside).catch(() => undefined);
  return true;
}
