-- wrk script: each write carries DEPTH pipelined requests for the path (TechEmpower's
-- pipelined plaintext). Usage: wrk -s bench/wrk_pipeline.lua URL -- PATH DEPTH
local path, depth = "/plaintext", 16
local batch

function init(args)
    path = args[1] or path
    depth = tonumber(args[2] or depth)
    local one = wrk.format("GET", path)
    batch = string.rep(one, depth)
end

function request()
    return batch
end
