/**
 * The versions a user reads agree: every `@since` tag names a version the package has reached, every public export
 * carries one, and the command line reports the package's version.
 */
import { describe, expect, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as path from "node:path"

const pkg = JSON.parse(fs.readFileSync("package.json", "utf8")) as { version: string; exports: Record<string, unknown> }
const parts = (v: string) => v.split(".").map(Number)
const atMost = (a: string, b: string) => {
  const [x, y] = [parts(a), parts(b)]
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i]! < y[i]!
  return true
}
const walk = (dir: string): Array<string> =>
  fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(path.join(dir, e.name)) : e.name.endsWith(".ts") ? [path.join(dir, e.name)] : []
  )

describe("versions", () => {
  it("every @since names a version the package has reached", () => {
    const ahead = walk("src").flatMap((file) =>
      [...fs.readFileSync(file, "utf8").matchAll(/@since (\S+)/g)]
        .filter(([, since]) => !atMost(since!, pkg.version))
        .map(([, since]) => `${file}: @since ${since}`)
    )
    expect(ahead).toEqual([])
  })

  it("every public module's file says since when it exists", () => {
    const modules = Object.keys(pkg.exports).filter((k) => k !== "./package.json")
      .map((k) => (k === "." ? "src/index.ts" : `src/${k.slice(2)}.ts`))
    const moduleDoc = (file: string) => {
      const text = fs.readFileSync(file, "utf8")
      return text.slice(0, text.indexOf("\n */"))
    }
    const untagged = modules.filter((file) => !/@since \d/.test(moduleDoc(file)))
    expect(modules.length).toBeGreaterThan(20)
    expect(untagged).toEqual([])
  })

  it("the command line reports the package's version", () => {
    expect(fs.readFileSync("src/cli/main.ts", "utf8")).toContain(`version: "${pkg.version}"`)
  })
})
