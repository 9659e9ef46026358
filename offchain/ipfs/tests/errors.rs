//! Typed errors without a daemon: unreachable daemons, bad URLs, invalid CIDs.
#![allow(clippy::expect_used)]

mod common;

use cairn_ipfs::{parse_cid, Cid, Error, Ipfs, KuboClient};
use std::{io::Cursor, time::Duration};

/// A loopback port nobody listens on (bound, then released).
fn closed_port() -> u16 {
	let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
	listener.local_addr().expect("addr").port()
}

#[tokio::test]
async fn a_daemon_that_does_not_answer_is_unreachable() {
	let ipfs = KuboClient::new(&format!("http://127.0.0.1:{}", closed_port())).expect("URL");
	let cid = common::missing_cid();
	assert!(matches!(ipfs.id().await, Err(Error::Unreachable(_))));
	assert!(matches!(ipfs.cat(&cid, 0, None).await, Err(Error::Unreachable(_))));
	assert!(matches!(ipfs.add(Cursor::new(vec![1, 2, 3])).await, Err(Error::Unreachable(_))));
	assert!(matches!(
		ipfs.block_stat(&cid, Duration::from_secs(1)).await,
		Err(Error::Unreachable(_))
	));
	assert!(matches!(ipfs.repo_gc().await, Err(Error::Unreachable(_))));
	let mut sink = Vec::new();
	assert!(matches!(ipfs.cat_to(&cid, &mut sink).await, Err(Error::Unreachable(_))));
}

#[test]
fn malformed_daemon_urls_are_unreachable() {
	for url in ["", "localhost", "ftp://127.0.0.1:5001", "https://127.0.0.1:5001", "/ip4/127.0.0.1"]
	{
		match KuboClient::new(url) {
			Err(Error::Unreachable(m)) => assert!(m.contains("invalid IPFS API URL"), "{m}"),
			other => panic!("{url:?}: expected Error::Unreachable, got {other:?}"),
		}
	}
	let ok = KuboClient::new("/ip4/127.0.0.1/tcp/5001/http").expect("multiaddr form");
	assert_eq!(ok.api_url(), "http://127.0.0.1:5001");
}

#[test]
fn invalid_cids_are_typed_errors_and_valid_ones_compare_parsed() {
	for bad in [
		"",
		"not-a-cid",
		"bafy",
		"Qm123",
		"zzzz",
		"bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4ye!",
	] {
		assert!(matches!(parse_cid(bad), Err(Error::InvalidCid(_))), "{bad:?} accepted");
	}
	// The same CIDv1 as js-ipfs prints it (base58btc) and as Kubo does (base32).
	let js = parse_cid("zb2rhZfjRh2FHHB2RkHVEvL2vJnCTcu7kwRqgVsf9gpkLgteo").expect("base58 CIDv1");
	let kubo = parse_cid("bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq")
		.expect("base32 CIDv1");
	assert_eq!(js, kubo, "equal parsed, though the texts differ");
	let v0 = parse_cid(" QmRgutAxd8t7oGkSm4wmeuByG6M51wcTso6cubDdQtuEfL\n").expect("CIDv0");
	assert_eq!(v0.version(), cid::Version::V0);
	let _: Cid = v0;
}
