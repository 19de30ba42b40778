-- Request log -> trace rows: the aggregation the Inference Procurement Workbook applies to every request log.
-- Run it where the log lives; import its result (CSV, Parquet, or an XLSX export) with `ipw import`.
--
-- Input: a table or view named requests, one row per request, with these columns (rename yours to them):
--   route, provider, model, workload  text  (the trace kit's grouping; a constant where the log has none)
--   concurrency                       number (configured concurrent requests of the run or lane)
--   latency_ms                        number (end-to-end latency of the request, milliseconds)
--   ttft_ms                           number (time to first token, ms; null where not streamed/recorded)
--   input_tokens, output_tokens       number (null where not recorded)
--   cached_tokens                     number (prompt tokens served from cache; null where not recorded)
--   cost_usd                          number (null where not recorded)
--   accepted                          boolean (null where not reviewed)
--   failed                            boolean (error text, success = false, HTTP status >= 400 or a timeout)
--
-- Output: one row per (route, provider, model, workload, concurrency) with the trace kit's fields.
-- Latency and TTFT percentiles use linear interpolation between closest ranks (numpy's default) over the
-- requests that did not fail; token means likewise; cost is the mean over all requests that record one;
-- a failed request counts as not accepted. The cache hit rate is null (not observed) where no request
-- records cached tokens. Per-stream output tokens/s = 1000 / mean time per output token after the first.
SELECT
    route,
    provider,
    model,
    workload,
    concurrency,
    COUNT(*) AS requests,
    SUM(CASE WHEN failed THEN 1 ELSE 0 END) AS failed_requests,
    PERCENTILE_LINEAR(CASE WHEN NOT failed THEN latency_ms END, 0.5) AS latency_p50_ms,
    PERCENTILE_LINEAR(CASE WHEN NOT failed THEN latency_ms END, 0.95) AS latency_p95_ms,
    PERCENTILE_LINEAR(CASE WHEN NOT failed THEN latency_ms END, 0.99) AS latency_p99_ms,
    PERCENTILE_LINEAR(CASE WHEN NOT failed THEN ttft_ms END, 0.5) AS ttft_ms,
    AVG(CASE WHEN NOT failed THEN input_tokens END) AS input_tokens,
    AVG(CASE WHEN NOT failed THEN output_tokens END) AS output_tokens,
    CASE WHEN SUM(CASE WHEN NOT failed AND cached_tokens IS NOT NULL THEN input_tokens END) > 0
         THEN SUM(CASE WHEN NOT failed THEN cached_tokens END)
              / SUM(CASE WHEN NOT failed AND cached_tokens IS NOT NULL THEN input_tokens END)
    END AS cache_hit_rate,
    AVG(cost_usd) AS cost_usd,
    CASE WHEN COUNT(accepted) > 0
         THEN AVG(CASE WHEN accepted AND NOT failed THEN 1.0 ELSE 0.0 END)
    END AS accepted_output_rate,
    1000.0 / AVG(CASE WHEN NOT failed AND output_tokens > 1 AND latency_ms > ttft_ms
                      THEN (latency_ms - ttft_ms) / (output_tokens - 1) END) AS output_tokens_per_second,
    'ipw-request-log-aggregate/1 DIALECT_NAME' AS aggregated_by
FROM requests
GROUP BY route, provider, model, workload, concurrency
ORDER BY route, provider, model, workload, concurrency
