//! Who may do what: accounts and sessions ([`auth`]), API tokens, Cloudflare Access identities
//! ([`access`]), sign-in throttling ([`throttle`]) and the Worker's password hash format
//! ([`pbkdf2_phc`]).

pub mod access;
pub mod auth;
pub mod pbkdf2_phc;
pub mod throttle;
