/** Writing files that hold secrets: whole or not at all, never readable by others. */
import { randomBytes } from "node:crypto"
import * as fs from "node:fs/promises"
import * as path from "node:path"

/** Mode for every file holding a credential. */
export const SECRET_FILE_MODE = 0o600

/**
 * Write `content` to `file` atomically: a temp file in the same directory (mode 0600), flushed, then renamed over
 * the target. A crash leaves either the old file or the new one, never a torn or empty one.
 */
export const writeFileAtomic = async (file: string, content: string): Promise<void> => {
  const dir = path.dirname(file)
  await fs.mkdir(dir, { recursive: true, mode: 0o700 })
  const temp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`)
  const handle = await fs.open(temp, "wx", SECRET_FILE_MODE)
  try {
    await handle.writeFile(content, "utf8")
    await handle.sync()
  } finally {
    await handle.close()
  }
  try {
    // The umask may have narrowed the mode further, never widened it; set it exactly.
    await fs.chmod(temp, SECRET_FILE_MODE)
    await fs.rename(temp, file)
  } catch (error) {
    await fs.rm(temp, { force: true })
    throw error
  }
}
