//! Test support: a Synapse homeserver and test users.
#![allow(dead_code)]

pub mod proxy;
pub mod synapse;
pub mod user;
