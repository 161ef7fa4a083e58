-- wrk script for the cache-fill row of benches/load.sh: every request is a GET of another
-- user, `/v1/users/user_<random UUID>` (the backend runs with --any-id, so each one exists),
-- so every request misses and fills one more cache entry. Authorization comes from wrk's -H.
math.randomseed(os.time())
local hex = "0123456789abcdef"
local function nibbles(n)
    local out = {}
    for i = 1, n do
        local k = math.random(1, 16)
        out[i] = hex:sub(k, k)
    end
    return table.concat(out)
end
request = function()
    local id = nibbles(8) .. "-" .. nibbles(4) .. "-4" .. nibbles(3) .. "-8" .. nibbles(3) .. "-" .. nibbles(12)
    return wrk.format("GET", "/v1/users/user_" .. id)
end
