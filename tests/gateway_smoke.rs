mod common;

use common::http::send_json;
use common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_envelope_client_reads_a_camel_backends_user_through_the_gateway() {
    let stack = start_stack(30, "").await;
    let r = send_json(
        client()
            .get(stack.url(&format!("/v1/users/user_{JOHN}")))
            .bearer_auth("in-demo-admin"),
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.headers["x-cache"], "MISS");
    assert_eq!(r.body["data"]["name"], "John Doe");
    assert_eq!(stack.camel.stats(), 1);
    stack.stop().await;
}
