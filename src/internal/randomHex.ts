/** Random hex digits from the Web Crypto API, which every runtime has as a global (no `node:crypto` to load). */
export const randomHex = (bytes: number): string => {
  let hex = ""
  for (const byte of globalThis.crypto.getRandomValues(new Uint8Array(bytes))) hex += byte.toString(16).padStart(2, "0")
  return hex
}
