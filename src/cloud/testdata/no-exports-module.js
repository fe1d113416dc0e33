// Exports nothing the loader recognises.
export const helper = 1;
export function unrelated() {
  return helper;
}
