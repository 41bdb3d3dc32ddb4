// A redis-server of a test's own on a free port, configured like the deployment (no RDB snapshots,
// no AOF: a restart loses everything), for the tests that wipe or restart Redis mid-run.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import { eventually } from './collect.ts';

/** Resolves with `port` if it can be bound on 127.0.0.1 now (0: any free port, from the ephemeral range). */
export function freePort(port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().listen(port, '127.0.0.1', () => {
      const { port: bound } = s.address() as { port: number };
      s.close(() => resolve(bound));
    });
    s.on('error', reject);
  });
}

/**
 * A free port below the kernel's ephemeral range (32768 and up), so that while the server is down
 * between a stop and a start no other test's freePort() and no outgoing connection can take it.
 */
async function restartablePort(): Promise<number> {
  for (;;) {
    const candidate = 20_000 + Math.floor(Math.random() * 12_000);
    const port = await freePort(candidate).catch(() => undefined);
    if (port) return port;
  }
}

export interface RedisServer {
  readonly port: number;
  readonly url: string;
  /** Whether the server process is up. */
  running(): boolean;
  /** Stops the server the way an operator or a crash-restart does (SIGTERM; with no persistence nothing is saved). */
  stop(): Promise<void>;
  /** Starts it (again, empty) on its port; resolves once this process answers there, throws if it cannot start. */
  start(): Promise<void>;
}

/** The pid of the redis-server answering at url, or undefined while none does. */
async function serverPid(url: string): Promise<number | undefined> {
  const probe = new Redis(url, { lazyConnect: true, retryStrategy: () => null });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    const pid = /process_id:(\d+)/.exec(await probe.info('server'))?.[1];
    return pid ? Number(pid) : undefined;
  } catch {
    return undefined;
  } finally {
    probe.disconnect();
  }
}

export async function startRedisServer(): Promise<RedisServer> {
  const port = await restartablePort();
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  const server: RedisServer = {
    port, url,
    running: () => !!child && child.exitCode === null && child.signalCode === null,
    async start() {
      if (server.running()) throw new Error(`redis-server on ${port} is already running`);
      const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--maxmemory-policy', 'noeviction'], { stdio: ['ignore', 'pipe', 'pipe'] });
      child = proc;
      let out = '';
      proc.stdout!.on('data', (d) => (out += d));
      proc.stderr!.on('data', (d) => (out += d));
      // Ready when this very process answers: a server that cannot start (the port taken meanwhile)
      // fails here, rather than a test carrying on with whatever else answers on that port.
      const answer = await eventually(async () => (proc.exitCode !== null ? 'exited' : (await serverPid(url)) ?? undefined), 50);
      if (answer !== proc.pid) {
        proc.kill('SIGKILL');
        throw new Error(`redis-server on ${port} did not start (${answer === 'exited' ? `exited ${proc.exitCode}` : `pid ${answer} answers there`}):\n${out}`);
      }
    },
    async stop() {
      if (!child || !server.running()) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
  await server.start();
  return server;
}
