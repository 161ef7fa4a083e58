mod common;

use common::*;
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_envelope_client_reads_a_camel_backends_user_through_the_gateway() {
    let stack = start_stack(30, "").await;
    let r = client()
        .get(stack.url(&format!("/v1/users/user_{JOHN}")))
        .bearer_auth("in-demo-admin")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-cache"], "MISS");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["data"]["name"], "John Doe");
    assert_eq!(stack.camel.stats(), 1);
    stack.stop().await;
}
