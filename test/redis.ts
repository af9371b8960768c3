/**
 * A real Redis for the tests: `redis-server` from Debian's packages (`.ci/run` installs it when missing), started
 * on a free loopback port without persistence, stopped with the test. Tests that need it are skipped, saying so,
 * where the binary is absent.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process"
import * as net from "node:net"

const which = (command: string): string | undefined => {
  try {
    return execFileSync("sh", ["-c", `command -v ${command}`], { encoding: "utf8" }).trim() || undefined
  } catch {
    return undefined
  }
}

export const redisServer = which("redis-server")

/** A free loopback port (listened on, then released). */
export const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = net.createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo
      server.close(() => resolve(port))
    })
  })

export interface RunningRedis {
  readonly url: string
  readonly port: number
  /** Freezes the server (SIGSTOP: connections stay open, nothing answers) or thaws it (SIGCONT). */
  readonly freeze: (frozen: boolean) => void
  /** Stops the server (SIGTERM) and waits for it to exit. */
  readonly stop: () => Promise<void>
}

/**
 * Starts `redis-server` on `port` (a free one by default), with `extraArgs` (`--requirepass`, say), and waits until
 * it accepts connections.
 */
export const startRedis = async (port?: number, extraArgs: ReadonlyArray<string> = []): Promise<RunningRedis> => {
  if (redisServer === undefined) throw new Error("redis-server is not installed (apt-get install redis-server)")
  const at = port ?? await freePort()
  const child: ChildProcess = spawn(redisServer, [
    "--port", String(at), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "yes", ...extraArgs
  ], { stdio: ["ignore", "pipe", "pipe"] })
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()))
  await new Promise<void>((resolve, reject) => {
    let output = ""
    const timer = setTimeout(() => reject(new Error(`redis-server did not start within 10 s:\n${output}`)), 10_000)
    child.stdout!.on("data", (chunk: Buffer) => {
      output += chunk.toString()
      if (/Ready to accept connections/.test(output)) {
        clearTimeout(timer)
        resolve()
      }
    })
    child.once("exit", (code) => {
      clearTimeout(timer)
      reject(new Error(`redis-server exited with ${code}:\n${output}`))
    })
  })
  return {
    url: `redis://127.0.0.1:${at}/0`,
    port: at,
    freeze: (frozen) => void child.kill(frozen ? "SIGSTOP" : "SIGCONT"),
    stop: async () => {
      if (child.exitCode === null) {
        child.kill("SIGCONT")
        child.kill("SIGTERM")
      }
      await exited
    }
  }
}
