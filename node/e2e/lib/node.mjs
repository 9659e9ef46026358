// Spawns and stops a `cairn-node` for end-to-end tests.
//
// Everything listens on 127.0.0.1 only: the RPC server binds loopback by default (no
// `--rpc-external`), the p2p listener is given as `/ip4/127.0.0.1/tcp/<port>` (sc-cli rejects
// `--port` together with `--listen-addr`), Prometheus is off, and telemetry and mDNS are disabled.
//
// Environment:
//   CAIRN_NODE             path of the node binary
//                          (default: ${CARGO_TARGET_DIR:-$HOME/.cache/cairn/target}/debug/cairn-node)
//   CAIRN_E2E_LOG_DIR      where node logs go (default: a fresh directory under the OS temp dir,
//                          removed after a successful run, kept when a test failed)
//   CAIRN_E2E_KEEP=1       keep the node's base path and logs after it stops (for debugging)
//   CAIRN_E2E_START_TIMEOUT seconds to wait for the RPC to answer (default 180)

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** Absolute path of the node binary to test. */
export function nodeBinary() {
	if (process.env.CAIRN_NODE) return path.resolve(process.env.CAIRN_NODE);
	const target =
		process.env.CARGO_TARGET_DIR || path.join(os.homedir(), '.cache', 'cairn', 'target');
	return path.join(path.resolve(target), 'debug', 'cairn-node');
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort() {
	return new Promise((resolve, reject) => {
		const srv = net.createServer();
		srv.unref();
		srv.once('error', reject);
		srv.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
			const { port } = srv.address();
			srv.close(() => resolve(port));
		});
	});
}

async function distinctFreePorts(n) {
	const ports = new Set();
	while (ports.size < n) ports.add(await freePort());
	return [...ports];
}

/** The last `lines` lines of a text file ('' if it cannot be read). */
export function tail(file, lines = 60) {
	try {
		const text = fs.readFileSync(file, 'utf8');
		return text.split('\n').slice(-lines - 1).join('\n');
	} catch {
		return '';
	}
}

/** One JSON-RPC call over HTTP. Throws on transport or RPC errors. */
export async function rpc(url, method, params = [], timeoutMs = 5000) {
	const res = await fetch(url, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
		signal: AbortSignal.timeout(timeoutMs),
	});
	if (!res.ok) throw new Error(`${method}: HTTP ${res.status}`);
	const body = await res.json();
	if (body.error) throw new Error(`${method}: ${JSON.stringify(body.error)}`);
	return body.result;
}

let logDirCache = null;
/**
 * Where node logs go: $CAIRN_E2E_LOG_DIR, or one fresh temp directory per test process, which
 * is removed when the process exits with success and kept (for the logs) when a test failed.
 */
export function logDirectory() {
	if (!logDirCache) {
		if (process.env.CAIRN_E2E_LOG_DIR) {
			logDirCache = process.env.CAIRN_E2E_LOG_DIR;
			fs.mkdirSync(logDirCache, { recursive: true });
		} else {
			const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cairn-e2e-logs-'));
			logDirCache = dir;
			process.on('exit', (code) => {
				if (code === 0 && !process.exitCode && process.env.CAIRN_E2E_KEEP !== '1') {
					fs.rmSync(dir, { recursive: true, force: true });
				} else {
					process.stderr.write(`cairn-node logs kept in ${dir}\n`);
				}
			});
		}
	}
	return logDirCache;
}

// Every node started by this process, so that none outlives it, whatever happens to the tests.
const live = new Set();
let hooksInstalled = false;

function installExitHooks() {
	if (hooksInstalled) return;
	hooksInstalled = true;
	// 'exit' handlers must be synchronous: SIGKILL is all that can be done there.
	process.on('exit', () => {
		for (const n of live) n.killNow();
	});
	for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
		process.once(sig, () => {
			for (const n of live) n.killNow();
			process.exit(128 + (os.constants.signals[sig] ?? 1));
		});
	}
}

/**
 * Starts `cairn-node` and waits until its RPC answers `system_health`.
 *
 * @param {object} [opts]
 * @param {string} [opts.chain='dev']    `dev` runs `--dev`; anything else is passed as `--chain`
 * @param {string[]} [opts.args=[]]      extra command-line arguments
 * @param {string} [opts.name]           label for the log file and the node name
 * @param {number} [opts.timeoutMs]      how long to wait for the RPC (default 180 s)
 * @returns {Promise<CairnNode>}
 */
export async function startNode(opts = {}) {
	const bin = nodeBinary();
	if (!fs.existsSync(bin)) {
		throw new Error(
			`cairn-node binary not found at ${bin}: build it (cargo build -p cairn-node) or set CAIRN_NODE`,
		);
	}
	const name = opts.name ?? 'cairn-e2e';
	const chain = opts.chain ?? 'dev';
	const timeoutMs =
		opts.timeoutMs ?? Number(process.env.CAIRN_E2E_START_TIMEOUT || 180) * 1000;

	const logDir = logDirectory();
	const basePath = fs.mkdtempSync(path.join(os.tmpdir(), 'cairn-e2e-base-'));
	const [rpcPort, p2pPort] = await distinctFreePorts(2);
	const logPath = path.join(logDir, `${name}-${rpcPort}.log`);

	const args = [
		...(chain === 'dev' ? ['--dev'] : ['--chain', chain]),
		'--base-path', basePath,
		'--name', name,
		'--rpc-port', String(rpcPort),
		'--rpc-cors', 'all',
		'--listen-addr', `/ip4/127.0.0.1/tcp/${p2pPort}`,
		'--no-prometheus',
		'--no-telemetry',
		'--no-mdns',
		...(opts.args ?? []),
	];

	installExitHooks();
	const logFd = fs.openSync(logPath, 'a');
	fs.writeSync(logFd, `# ${bin} ${args.join(' ')}\n`);
	const child = spawn(bin, args, {
		stdio: ['ignore', logFd, logFd],
		env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? 'info' },
	});
	fs.closeSync(logFd);

	const node = new CairnNode({ child, bin, args, basePath, logPath, rpcPort, p2pPort });
	live.add(node);

	try {
		await node.waitForRpc(timeoutMs);
	} catch (err) {
		await node.stop();
		throw err;
	}
	return node;
}

export class CairnNode {
	constructor({ child, bin, args, basePath, logPath, rpcPort, p2pPort }) {
		Object.assign(this, { child, bin, args, basePath, logPath, rpcPort, p2pPort });
		this.setRpcPort(rpcPort);
		this.exitInfo = null;
		this.exited = new Promise((resolve) => {
			child.once('exit', (code, signal) => {
				this.exitInfo = { code, signal };
				resolve(this.exitInfo);
			});
			child.once('error', (error) => {
				this.exitInfo = { code: null, signal: null, error };
				resolve(this.exitInfo);
			});
		});
	}

	get running() {
		return this.exitInfo === null;
	}

	logTail(lines = 60) {
		return tail(this.logPath, lines);
	}

	describeFailure(what) {
		return `${what}\n  binary: ${this.bin}\n  log: ${this.logPath}\n--- last lines of the log ---\n${this.logTail()}`;
	}

	/** Polls `system_health` until it answers; fails early if the process exits. */
	async waitForRpc(timeoutMs) {
		const started = Date.now();
		let lastError = null;
		while (Date.now() - started < timeoutMs) {
			if (!this.running) {
				const { code, signal, error } = this.exitInfo;
				throw new Error(
					this.describeFailure(
						`cairn-node exited before its RPC answered (code ${code}, signal ${signal}${
							error ? `, ${error.message}` : ''
						})`,
					),
				);
			}
			this.readRpcPortFromLog();
			try {
				this.health = await rpc(this.httpUrl, 'system_health', [], 2000);
				this.startupMs = Date.now() - started;
				return this.health;
			} catch (e) {
				lastError = e;
			}
			await Promise.race([sleep(500), this.exited]);
		}
		throw new Error(
			this.describeFailure(
				`cairn-node RPC at ${this.httpUrl} did not answer system_health within ${
					timeoutMs / 1000
				} s (last error: ${lastError?.cause?.code ?? lastError?.message})`,
			),
		);
	}

	/**
	 * The RPC server falls back to a random port if the requested one is taken in the meantime,
	 * so take the port it reports in the log (`Running JSON-RPC server: addr=127.0.0.1:<port>,…`).
	 */
	readRpcPortFromLog() {
		let text;
		try {
			text = fs.readFileSync(this.logPath, 'utf8');
		} catch {
			return;
		}
		const m = /Running JSON-RPC server: addr=127\.0\.0\.1:(\d+)/.exec(text);
		if (m && Number(m[1]) !== this.rpcPort) this.setRpcPort(Number(m[1]));
	}

	setRpcPort(port) {
		this.rpcPort = port;
		this.httpUrl = `http://127.0.0.1:${port}`;
		this.wsUrl = `ws://127.0.0.1:${port}`;
	}

	/** SIGKILL without waiting (for process exit handlers). */
	killNow() {
		if (this.running) {
			try {
				this.child.kill('SIGKILL');
			} catch {
				/* already gone */
			}
		}
		this.removeBasePath();
	}

	removeBasePath() {
		if (process.env.CAIRN_E2E_KEEP === '1') return;
		try {
			fs.rmSync(this.basePath, { recursive: true, force: true });
		} catch {
			/* best effort */
		}
	}

	/** SIGINT, then SIGKILL if it has not exited after `graceMs`. Idempotent. */
	async stop(graceMs = 15000) {
		if (this.running) {
			this.child.kill('SIGINT');
			let timer;
			const timeout = new Promise((r) => {
				timer = setTimeout(r, graceMs, 'timeout');
			});
			const first = await Promise.race([this.exited, timeout]);
			clearTimeout(timer);
			if (first === 'timeout' && this.running) {
				this.child.kill('SIGKILL');
				await this.exited;
			}
		}
		live.delete(this);
		this.removeBasePath();
		return this.exitInfo;
	}
}

/** True if a process with this pid exists. */
export function pidAlive(pid) {
	try {
		process.kill(pid, 0);
		return true;
	} catch (e) {
		return e.code === 'EPERM';
	}
}
