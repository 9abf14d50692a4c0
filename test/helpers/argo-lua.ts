/**
 * Runs an Argo CD Lua health check as Argo CD does (argoproj/argo-cd, util/lua ExecuteHealthLua:
 * the live object is the global `obj`, the script returns `hs` with status and message), in a
 * real Lua VM: fengari, Lua 5.3 in JavaScript. Argo CD embeds gopher-lua, Lua 5.1; the scripts
 * use only what both share. Used by the health-check tests and by the simulated Argo CD.
 */
import { createRequire } from "node:module";

// fengari ships no type declarations.
// biome-ignore lint/suspicious/noExplicitAny: untyped module
const fengari = createRequire(import.meta.url)("fengari") as any;
const { lua, lauxlib, lualib, to_luastring } = fengari;

/** A JSON value as a Lua table constructor (JSON null is Lua nil). */
function toLua(v: unknown): string {
  if (v === null || v === undefined) return "nil";
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  if (Array.isArray(v)) return `{${v.map(toLua).join(", ")}}`;
  return `{${Object.entries(v as Record<string, unknown>)
    .map(([k, x]) => `[${JSON.stringify(k)}] = ${toLua(x)}`)
    .join(", ")}}`;
}

/** The status and message the script returns (message null when it sets none); throws the Lua error. */
export function runHealthLua(script: string, obj: unknown): { status: string; message: string } {
  const L = lauxlib.luaL_newstate();
  lualib.luaL_openlibs(L);
  const src = `local obj = ${toLua(obj)}\nlocal hs = (function()\n${script}\nend)()\nreturn hs.status, hs.message`;
  if (
    lauxlib.luaL_loadstring(L, to_luastring(src)) !== lua.LUA_OK ||
    lua.lua_pcall(L, 0, 2, 0) !== lua.LUA_OK
  )
    throw new Error(lua.lua_tojsstring(L, -1));
  return { status: lua.lua_tojsstring(L, -2), message: lua.lua_tojsstring(L, -1) };
}
