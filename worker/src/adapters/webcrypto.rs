//! [`domain::Passwords`] on Workers: PBKDF2-SHA256 through WebCrypto, which runs natively in
//! workerd (argon2 in wasm would exceed a Worker's CPU budget). workerd caps PBKDF2 at 100,000
//! iterations. argon2 hashes (made natively) cannot be checked here: that is an error, not a
//! silent "wrong password".

use async_trait::async_trait;
use domain::accounts::pbkdf2_phc::{self, Pbkdf2Hash};
use domain::PasswordError;
use js_sys::{Array, ArrayBuffer, Object, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use worker::send::SendFuture;

pub struct WebCryptoPasswords;

fn failed(err: JsValue) -> PasswordError {
    PasswordError::Failed(format!("{err:?}"))
}

fn object(entries: &[(&str, JsValue)]) -> Result<Object, PasswordError> {
    let obj = Object::new();
    for (key, value) in entries {
        Reflect::set(&obj, &JsValue::from_str(key), value).map_err(failed)?;
    }
    Ok(obj)
}

async fn derive(password: &str, salt: &[u8], iterations: u32) -> Result<Vec<u8>, PasswordError> {
    let crypto: web_sys::Crypto =
        Reflect::get(&js_sys::global(), &JsValue::from_str("crypto")).map_err(failed)?.unchecked_into();
    let subtle = crypto.subtle();
    let usages = Array::of1(&JsValue::from_str("deriveBits"));
    let key = subtle
        .import_key_with_object(
            "raw",
            &Uint8Array::from(password.as_bytes()),
            &object(&[("name", "PBKDF2".into())])?,
            false,
            &usages,
        )
        .map_err(failed)?;
    let key: web_sys::CryptoKey = JsFuture::from(key).await.map_err(failed)?.unchecked_into();
    let params = object(&[
        ("name", "PBKDF2".into()),
        ("hash", "SHA-256".into()),
        ("salt", Uint8Array::from(salt).into()),
        ("iterations", iterations.into()),
    ])?;
    let bits = subtle.derive_bits_with_object(&params, &key, 256).map_err(failed)?;
    let bits: ArrayBuffer = JsFuture::from(bits).await.map_err(failed)?.unchecked_into();
    Ok(Uint8Array::new(&bits).to_vec())
}

#[async_trait]
impl domain::Passwords for WebCryptoPasswords {
    async fn hash(&self, password: &str) -> Result<String, PasswordError> {
        let mut salt = vec![0_u8; 16];
        getrandom::fill(&mut salt).map_err(|e| PasswordError::Failed(e.to_string()))?;
        let iterations = pbkdf2_phc::WORKER_ITERATIONS;
        let hash = SendFuture::new(derive(password, &salt, iterations)).await?;
        Ok(Pbkdf2Hash { iterations, salt, hash }.to_phc())
    }

    async fn verify(&self, password: &str, phc: &str) -> Result<bool, PasswordError> {
        if !phc.starts_with(pbkdf2_phc::PREFIX) {
            return Err(PasswordError::Unsupported(phc.split('$').nth(1).unwrap_or("unknown").to_owned()));
        }
        let Some(stored) = Pbkdf2Hash::parse(phc) else { return Ok(false) };
        if stored.iterations > pbkdf2_phc::WORKER_ITERATIONS {
            return Err(PasswordError::Unsupported(format!("pbkdf2 with {} iterations", stored.iterations)));
        }
        let derived = SendFuture::new(derive(password, &stored.salt, stored.iterations)).await?;
        Ok(stored.matches(&derived))
    }
}
