"""A request log written as a team's gateway would: one row per request (for the CLI and import-dialog tests)."""


def write_request_log(path, requests, bad_latency_every=0):
    """`requests` requests spread evenly over three (route, provider, model, workload, concurrency) groups;
    every `bad_latency_every`-th has a negative latency (a rejected request)."""
    lines = ["route,provider,model,workload,concurrency,latency_ms,ttft_ms,input_tokens,output_tokens,cost_usd,"
             "accepted,error"]
    for i in range(requests):
        latency = -5 if bad_latency_every and i % bad_latency_every == 0 else 1000 + i
        lines.append(f"Dedicated endpoint,Fireworks,model-{i % 3},support,8,{latency},100,1000,200,0.01,true,")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
