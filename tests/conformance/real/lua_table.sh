# lua5.4: a table of numbers transformed in a loop, compared at the end with a recomputation.
# shellcheck shell=bash disable=SC2034,SC2154  # sourced by ../run.sh: it uses CMD, READY, check; sets out, T
cat > steps.lua <<'LUA'
local function step(t, r) for i = 1, #t do t[i] = (t[i] * 31 + r) % 1000003 end end
local function fresh() local t = {} for i = 1, 300000 do t[i] = i end return t end
local t, n = fresh(), 0
local function done() local f = io.open(os.getenv("CONFORMANCE_DONE")) if f then f:close() return true end return false end
while not done() do n = n + 1 step(t, n) if n == 1 then print("ready") io.stdout:flush() end end
local u = fresh() for r = 1, n do step(u, r) end
local same = true for i = 1, #t do if t[i] ~= u[i] then same = false end end
print("rounds " .. n .. (same and " equal" or " DIFFERENT"))
LUA
CMD='exec lua5.4 steps.lua'
READY='^ready$'
check() { grep -qE '^rounds [0-9]+ equal$' "$out" || fail "lua_table: $(tail -n 2 "$out")"; }
