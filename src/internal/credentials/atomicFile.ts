/** Writing files that hold secrets: whole or not at all, never readable by others. */
import * as path from "node:path"
import * as Builtins from "../builtins.js"
import { randomHex } from "../randomHex.js"
import type { FileSystem } from "./secretFileSystem.js"

/** Mode for every file holding a credential. */
export const SECRET_FILE_MODE = 0o600

/**
 * Write `content` to `file` atomically: a temp file in the same directory (mode 0600), flushed to disk, then renamed
 * over the target, and the directory flushed so the rename itself survives a power cut. A crash leaves either the
 * old file or the new one, never a torn or empty one; a failure (a full disk, a read-only mount) leaves no temp file.
 */
export const writeFileAtomic = async (file: string, content: string, fs: FileSystem = Builtins.fs()): Promise<void> => {
  const dir = path.dirname(file)
  await fs.promises.mkdir(dir, { recursive: true, mode: 0o700 })
  await removeAbandonedTemps(fs, dir, path.basename(file))
  const temp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomHex(6)}.tmp`)
  const handle = await fs.promises.open(temp, "wx", SECRET_FILE_MODE)
  try {
    try {
      await handle.writeFile(content, "utf8")
      await handle.sync()
    } finally {
      await handle.close()
    }
    // The umask may have narrowed the mode further, never widened it; set it exactly.
    await fs.promises.chmod(temp, SECRET_FILE_MODE)
    await fs.promises.rename(temp, file)
  } catch (error) {
    await fs.promises.rm(temp, { force: true }).catch(() => undefined)
    throw error
  }
  await syncDirectory(fs, dir)
}

/** Best effort: some file systems refuse to open or fsync a directory, and the data is already in place. */
const syncDirectory = async (fs: FileSystem, dir: string): Promise<void> => {
  const handle = await fs.promises.open(dir, "r").catch(() => undefined)
  if (handle === undefined) return
  await handle.sync().catch(() => undefined)
  await handle.close().catch(() => undefined)
}

/** A temp file older than this was left by a writer that died (a write takes milliseconds). */
const ABANDONED_AFTER_MS = 60_000

/**
 * Remove the temp files a killed writer left next to `base` (they may hold a secret). Only old ones: a temp file of
 * a write in progress elsewhere is seconds old at most. Best effort: a failure here never stops the write.
 */
const removeAbandonedTemps = async (fs: FileSystem, dir: string, base: string): Promise<void> => {
  const names = await fs.promises.readdir(dir).catch(() => [] as Array<string>)
  const prefix = `.${base}.`
  const now = Date.now()
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith(".tmp")) continue
    const temp = path.join(dir, name)
    const stat = await fs.promises.lstat(temp).catch(() => undefined)
    if (stat?.isFile() === true && now - stat.mtimeMs > ABANDONED_AFTER_MS) await fs.promises.rm(temp, { force: true }).catch(() => undefined)
  }
}
