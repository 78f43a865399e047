import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanupOnExit } from '@vae/data/node';
import { CHROMIUM_ARGS, CHROMIUM_ENV, CHROMIUM_PATH, chromiumPath } from '@vae/runtime-web/node';
import { browserPeerMissing } from './browser-peers.js';
import { findExecutable } from './child-host.js';

/** An open page of a browser, driven from Node. */
export interface BrowserPage {
  /**
   * Runs the function whose source is `fn` (e.g. `(a, b) => window.x(a, b)`, possibly async) in the
   * page with `args` and resolves with its result (JSON values). A rejection carries the page's message.
   */
  run(fn: string, args?: readonly unknown[]): Promise<unknown>;
  /** Page errors and console errors seen so far (engines whose driver reports them). */
  readonly errors: string[];
  close(): Promise<void>;
}

/** How `vae parity` and the tests launch one browser engine. */
export interface BrowserDriver {
  readonly name: string;
  /** Why it cannot run here (with how to install it), or null. */
  missing(): string | null;
  /** Starts the browser (fresh profile) and opens `url`. */
  open(url: string): Promise<BrowserPage>;
}

/** In-page function of the CDP/BiDi drivers: evaluates the function source and applies it. */
const pageRun = ([fn, args]: readonly [string, readonly unknown[]]): Promise<unknown> =>
  Promise.resolve(new Function(`return (${fn});`)()(...args));

/** The page events playwright-core and puppeteer-core share. */
interface EventedPage {
  on(event: 'pageerror', f: (e: unknown) => void): unknown;
  on(event: 'console', f: (m: { type(): string; text(): string }) => void): unknown;
  goto(url: string): Promise<unknown>;
  evaluate<R, A>(f: (a: A) => R | Promise<R>, arg: A): Promise<R>;
}

/** Opens `url` in `page`, collecting page errors and console errors; the {@link BrowserPage} over it. */
async function evaluatingPage(page: EventedPage, url: string, close: () => Promise<void>): Promise<BrowserPage> {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e instanceof Error ? e.message : String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  await page.goto(url);
  return { errors, run: (fn, args = []) => page.evaluate(pageRun, [fn, args] as const), close };
}

/** Why the Chromium binary cannot run, naming where its path came from; null when it exists. */
function chromiumMissing(): string | null {
  const path = chromiumPath();
  if (existsSync(path)) return null;
  return path === CHROMIUM_PATH && !process.env[CHROMIUM_ENV]
    ? `${CHROMIUM_PATH} not found (Debian/Ubuntu: apt-get install chromium, or point --chromium PATH / ${CHROMIUM_ENV} at a Chromium binary)`
    : `--chromium / ${CHROMIUM_ENV}: expected the path of a Chromium binary, got ${path} (no such file)`;
}

/** Pids of the live (not zombie) processes with `arg` in their command line: Linux's `/proc`, none elsewhere. */
function processesWithArg(arg: string): number[] {
  if (process.platform !== 'linux') return [];
  const found: number[] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      if (!readFileSync(`/proc/${pid}/cmdline`, 'latin1').includes(arg)) continue;
      const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
      if (stat[stat.lastIndexOf(')') + 2] !== 'Z') found.push(Number(pid));
    } catch {
      // gone meanwhile, or another user's
    }
  }
  return found;
}

/**
 * Removes a Chromium profile at exit, synchronously: first SIGKILLs the processes still using it
 * and waits (up to 2 s) until they are gone. Removed while Chromium runs (an exit during its launch,
 * or before playwright-core's exit listener has ended it), Chromium recreated the folder.
 */
function removeProfileSync(profile: string): void {
  const tick = new Int32Array(new SharedArrayBuffer(4));
  const until = Date.now() + 2000;
  for (let pids = processesWithArg(profile); pids.length > 0 && Date.now() < until; pids = processesWithArg(profile)) {
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
    Atomics.wait(tick, 0, 0, 10);
  }
  rmSync(profile, { recursive: true, force: true });
}

/** Chromium (Debian's `chromium` package, or `--chromium` / `VAE_CHROMIUM`) through playwright-core. */
const chromium: BrowserDriver = {
  name: 'chromium',
  missing: () => chromiumMissing() ?? browserPeerMissing('playwright-core', 'Chromium'),
  async open(url) {
    const { chromium: pw } = await import('playwright-core');
    // Created and registered in one synchronous stretch (a signal cannot fall between); from here on,
    // during the launch too, an exit ends the Chromium still using the profile, then removes it.
    const profile = mkdtempSync(join(tmpdir(), 'vae-parity-chromium-'));
    const forget = cleanupOnExit(() => removeProfileSync(profile));
    const context = await pw
      .launchPersistentContext(profile, { executablePath: chromiumPath(), args: [...CHROMIUM_ARGS], headless: true })
      .catch(async (err: unknown) => {
        await rm(profile, { recursive: true, force: true });
        forget();
        throw err;
      });
    return evaluatingPage((await context.newPage()) as unknown as EventedPage, url, async () => {
      await context.close();
      await rm(profile, { recursive: true, force: true });
      forget();
    });
  },
};

/** Debian's `firefox-esr`. */
export const FIREFOX_PATH = '/usr/bin/firefox-esr';

/** Firefox ESR over WebDriver BiDi through puppeteer-core (no geckodriver). */
const firefox: BrowserDriver = {
  name: 'firefox',
  missing: () =>
    existsSync(FIREFOX_PATH)
      ? browserPeerMissing('puppeteer-core', 'Firefox')
      : `${FIREFOX_PATH} not found (Debian/Ubuntu: apt-get install firefox-esr)`,
  async open(url) {
    const { default: puppeteer } = await import('puppeteer-core');
    const browser = await puppeteer.launch({ browser: 'firefox', executablePath: FIREFOX_PATH, headless: true });
    return evaluatingPage((await browser.newPage()) as unknown as EventedPage, url, () => browser.close());
  },
};

/** WebKitGTK's MiniBrowser (Debian `webkit2gtk-driver`), the engine of Safari. */
export const WEBKIT_MINIBROWSER = '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser';

/** A W3C WebDriver command against `base` (WebKitWebDriver); rejects with the driver's message. */
async function webdriver(
  base: string,
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  body?: unknown,
): Promise<unknown> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const json = (await res.json()) as { value: unknown };
  const v = json.value as { error?: string; message?: string } | null;
  if (!res.ok || (v && typeof v === 'object' && 'error' in v))
    throw new Error(`WebKitWebDriver ${path}: ${v?.error ?? res.status}: ${v?.message ?? ''}`);
  return json.value;
}

/** Waits until WebKitWebDriver answers `/status`. */
async function waitForDriver(base: string, child: ChildProcess, output: string[]): Promise<void> {
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`WebKitWebDriver exited: ${output.join('').slice(-400)}`);
    if (
      await webdriver(base, 'GET', '/status').then(
        () => true,
        () => false,
      )
    )
      return;
    if (i > 200) throw new Error(`WebKitWebDriver did not start: ${output.join('').slice(-400)}`);
    await new Promise((ok) => setTimeout(ok, 50));
  }
}

/** The `execute/async` script running function source `fn` on `args`, reporting `{ ok }` or `{ err }`. */
const executeRun = (fn: string): string => `const done = arguments[arguments.length - 1];
Promise.resolve().then(() => (${fn})(...arguments[0])).then((ok) => done({ ok: ok === undefined ? null : ok }), (e) => done({ err: String((e && e.message) || e) }));`;

/**
 * WebKitGTK's MiniBrowser through WebKitWebDriver (W3C WebDriver over HTTP), under `xvfb-run -a`
 * (MiniBrowser's own headless mode hung here, see ENVIRONMENT.md).
 */
const webkit: BrowserDriver = {
  name: 'webkit',
  missing: () => {
    if (!existsSync(WEBKIT_MINIBROWSER) || !findExecutable('WebKitWebDriver'))
      return 'WebKitWebDriver / MiniBrowser not found (Debian/Ubuntu: apt-get install webkit2gtk-driver xvfb)';
    return findExecutable('xvfb-run') ? null : 'xvfb-run not found (Debian/Ubuntu: apt-get install xvfb)';
  },
  async open(url) {
    const port = 4444 + Math.floor(Math.random() * 20_000);
    // Our own folder for the X authority file: xvfb-run's own (/tmp/xvfb-run.*) is removed by its
    // EXIT trap, which a shell ended by SIGTERM (how the driver is stopped) does not run.
    const xauth = mkdtempSync(join(tmpdir(), 'vae-parity-xvfb-'));
    const removeXauth = (): void => rmSync(xauth, { recursive: true, force: true });
    const child = spawn('xvfb-run', ['-a', '-f', join(xauth, 'Xauthority'), 'WebKitWebDriver', `--port=${port}`], {
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const output: string[] = [];
    child.stdout?.on('data', (b: Buffer) => output.push(b.toString()));
    child.stderr?.on('data', (b: Buffer) => output.push(b.toString()));
    const stop = (): void => {
      // xvfb-run starts Xvfb and the driver in its own process group: end the whole group.
      if (child.pid !== undefined && child.exitCode === null) process.kill(-child.pid, 'SIGTERM');
    };
    const forget = cleanupOnExit(() => {
      stop();
      removeXauth();
    });
    child.once('exit', () => {
      forget();
      removeXauth();
    });
    const base = `http://127.0.0.1:${port}`;
    try {
      await waitForDriver(base, child, output);
      const session = (await webdriver(base, 'POST', '/session', {
        capabilities: {
          alwaysMatch: {
            browserName: 'MiniBrowser',
            'webkitgtk:browserOptions': { binary: WEBKIT_MINIBROWSER, args: ['--automation'] },
          },
        },
      })) as { sessionId: string };
      const s = `/session/${session.sessionId}`;
      await webdriver(base, 'POST', `${s}/timeouts`, { script: 300_000 });
      await webdriver(base, 'POST', `${s}/url`, { url });
      return {
        errors: [],
        run: async (fn, args = []) => {
          const r = (await webdriver(base, 'POST', `${s}/execute/async`, { script: executeRun(fn), args: [args] })) as {
            ok?: unknown;
            err?: string;
          };
          if (r.err !== undefined) throw new Error(r.err);
          return r.ok;
        },
        close: async () => {
          await webdriver(base, 'DELETE', s).catch(() => undefined);
          stop();
        },
      };
    } catch (err) {
      stop();
      throw err;
    }
  },
};

/** The browser engines the parity hosts and browser tests launch, by host name. */
export const BROWSER_DRIVERS: Readonly<Record<string, BrowserDriver>> = Object.freeze({ chromium, firefox, webkit });
