-- wrk script for the PUT rows of benches/load.sh: every request is a PUT with the JSON body
-- in the environment variable WRK_BODY. Authorization comes from wrk's -H.
wrk.method = "PUT"
wrk.body = os.getenv("WRK_BODY") or error("WRK_BODY is not set")
wrk.headers["Content-Type"] = "application/json"
