// The browser's files are imported as text (`with { type: "text" }`) so a
// compiled binary carries them; these declarations type such imports.
declare module "*.mjs" {
  const text: string;
  export default text;
}
declare module "*.css" {
  const text: string;
  export default text;
}
