/**
 * A zod schema built on first use. Building schemas costs cold-start time (zod/mini sets up
 * each type and check when it is constructed), and most functions parse only one or two of
 * the contract's inputs. The result stands in for the schema itself (same type, same
 * members, usable inside other schemas), so nothing that uses it changes.
 *
 * Call it as `/* @__PURE__ *\/ lazySchema(() => ...)`: the bundler may then drop a schema no
 * code of the function reads, with the zod types only it needed.
 */
export function lazySchema<T extends object>(build: () => T): T {
  let schema: T | undefined;
  const built = (): T => {
    schema ??= build();
    return schema;
  };
  return new Proxy({} as T, {
    get: (_, key) => Reflect.get(built(), key),
    set: (_, key, value) => Reflect.set(built(), key, value),
    has: (_, key) => Reflect.has(built(), key),
    ownKeys: () => Reflect.ownKeys(built()),
    getPrototypeOf: () => Reflect.getPrototypeOf(built()),
    getOwnPropertyDescriptor: (_, key) => {
      const descriptor = Reflect.getOwnPropertyDescriptor(built(), key);
      // The stand-in itself holds nothing, so it may only report configurable members.
      return descriptor ? { ...descriptor, configurable: true } : undefined;
    },
  });
}
