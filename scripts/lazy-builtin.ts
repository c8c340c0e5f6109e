// Stands in for a Node built-in module inside svc's bundle (see LAZY_BUILTINS in scripts/build.ts):
// an object with the module's export names whose first use loads the module. Many built-ins are
// imported at the top of a module and used only on some paths (oclif's readline for piped input,
// child_process for the Windows shell, client-node's https and tls when a request is sent), and
// loading them costs milliseconds and megabytes on every start of every command.
// `names` is the module's export names, read at build time.
/** The symbol (Symbol.for) that marks a stand-in, for the bundle's __toESM (scripts/build.ts, oneNamespacePerBuiltin). */
export const LAZY_BUILTIN_MARK = 'svc.lazyBuiltin'

export function lazyBuiltin(load: () => Record<string, unknown>, names: readonly string[]): object {
  let loaded: Record<string, unknown> | undefined
  const module = {[Symbol.for(LAZY_BUILTIN_MARK)]: true}
  for (const name of names) {
    Object.defineProperty(module, name, {
      configurable: true,
      enumerable: true,
      get() {
        loaded ??= load()
        return loaded[name]
      },
      set(value: unknown) {
        loaded ??= load()
        loaded[name] = value
      },
    })
  }
  return module
}
