-- wrk script: POST /classify with the seed's body shape, cycling through a few realistic
-- homepage texts (pre-formatted once per thread, so Lua costs almost nothing per request).
-- Usage: wrk -t2 -c64 -d10s -s bench/wrk/classify.lua http://127.0.0.1:PORT/classify
local bodies = {
  '{"website":"https://www.bbc.com","content":"Skip to content Watch Live Home News Sport Business Innovation Culture Travel. Live: ceasefire holds as aid trucks enter the city, officials say."}',
  '{"website":"https://www.espn.com","content":"ESPN - Serving Sports Fans. NFL, NBA, MLB, NHL, Soccer scores. Fantasy Football rankings and SportsCenter highlights."}',
  '{"website":"https://www.booking.com","content":"Booking.com | The best hotels, flights, car rentals and accommodations. Free cancellation on most rooms, Genius discounts."}',
  '{"website":"https://www.mayoclinic.org","content":"Mayo Clinic: request an appointment, diseases and conditions, symptoms, tests and procedures, drugs and supplements."}',
}
local requests = {}
local n = 0

function init(args)
  for i, body in ipairs(bodies) do
    requests[i] = wrk.format("POST", nil, {["Content-Type"] = "application/json"}, body)
  end
end

function request()
  n = n + 1
  return requests[(n % #requests) + 1]
end

