-- GCRA over several windows, atomically (see gcra.ts, which this mirrors line for line).
-- KEYS[i]: the TAT of window i. ARGV[1]: "1" for a dry run; then limit, window (ms) and cost for each window.
-- Returns: allowed (1/0), then remaining, reset ms and retry-after ms for each window.
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local dry = ARGV[1] == '1'
local steps = {}
local allowed = 1
for i = 1, #KEYS do
  local limit = tonumber(ARGV[3 * i - 1])
  local window = tonumber(ARGV[3 * i])
  local cost = tonumber(ARGV[3 * i + 1])
  local interval = window / limit
  local tat = tonumber(redis.call('GET', KEYS[i])) or now
  if tat < now then tat = now end
  local nextTat = tat + interval * cost
  local retry = nextTat - window - now
  if retry < 0 then retry = 0 end
  if retry > 0 then allowed = 0 end
  steps[i] = { limit = limit, window = window, interval = interval, tat = tat, nextTat = nextTat, retry = retry }
end
local result = { allowed }
for i = 1, #KEYS do
  local s = steps[i]
  local stored = s.tat
  if allowed == 1 and not dry then
    stored = s.nextTat
    redis.call('SET', KEYS[i], string.format('%.3f', stored), 'PX', math.ceil(stored - now) + 1)
  end
  local remaining = math.floor((s.window - (stored - now)) / s.interval)
  if remaining < 0 then remaining = 0 end
  result[#result + 1] = remaining
  result[#result + 1] = math.ceil(stored - now)
  result[#result + 1] = math.ceil(s.retry)
end
return result
