/** Removes `name` and its value from `args` and returns the value, or `dflt` where `name` is absent; what is left in
 * `args` are the positional arguments (the A/B scripts' model:method:seq rows). */
export function takeOption(args: string[], name: string, dflt: string): string {
  const i = args.indexOf(name);
  if (i < 0) return dflt;
  const v = args[i + 1];
  args.splice(i, 2);
  return v;
}
