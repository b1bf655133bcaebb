/** Where progress lines go: the console for the CLIs, a prefixing wrapper in `npm start`, a no-op in tests. */
export type Log = (line: string) => void;
