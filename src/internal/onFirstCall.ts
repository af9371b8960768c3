/**
 * A one-argument function built on its first call.
 *
 * A schema check compiles its parser when it is made. Made at module level, every program would compile every
 * parser at start-up (a fifth of the package's import time), used or not; made on first call, only the checks a
 * program runs are compiled, once.
 */
export const onFirstCall = <A, R>(build: () => (a: A) => R): ((a: A) => R) => {
  let built: ((a: A) => R) | undefined
  return (a) => (built ??= build())(a)
}
