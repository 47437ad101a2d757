//! [`domain::ports::Vectors`] on Vectorize, bound by hand with `wasm_bindgen` (workers-rs has no
//! Vectorize binding). Metadata carries the document id and folder; the folder filter needs the
//! metadata index the README's deploy steps create *before* any vector is inserted. Writes are
//! asynchronous on Cloudflare: search checks every match against D1, so a vector that is not
//! yet deleted is never shown.

use async_trait::async_trait;
use domain::error::VectorError;
use domain::ports::{VectorMatch, VectorQuery, VectorRecord, Vectors};
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use worker::send::{SendFuture, SendWrapper};

#[wasm_bindgen]
extern "C" {
    /// The `VectorizeIndex` object a `[[vectorize]]` binding puts on `env`.
    #[wasm_bindgen(extends = js_sys::Object)]
    pub type VectorizeIndex;

    #[wasm_bindgen(method, catch)]
    fn query(this: &VectorizeIndex, vector: JsValue, options: JsValue) -> Result<js_sys::Promise, JsValue>;
    #[wasm_bindgen(method, catch)]
    fn upsert(this: &VectorizeIndex, vectors: JsValue) -> Result<js_sys::Promise, JsValue>;
    #[wasm_bindgen(method, catch, js_name = deleteByIds)]
    fn delete_by_ids(this: &VectorizeIndex, ids: JsValue) -> Result<js_sys::Promise, JsValue>;
}

pub struct Vectorize {
    index: SendWrapper<VectorizeIndex>,
    dimensions: usize,
}

impl Vectorize {
    /// The binding `name` on `env`, if there is one.
    pub fn from_env(env: &worker::Env, name: &str, dimensions: usize) -> Option<Self> {
        let value = js_sys::Reflect::get(env.as_ref(), &JsValue::from_str(name)).ok()?;
        if value.is_undefined() || value.is_null() {
            return None;
        }
        Some(Self { index: SendWrapper::new(value.unchecked_into()), dimensions })
    }
}

fn failed(err: JsValue) -> VectorError {
    VectorError::Request(err.as_string().unwrap_or_else(|| format!("{err:?}")))
}

fn to_js<T: Serialize>(value: &T) -> Result<JsValue, VectorError> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| VectorError::Request(e.to_string()))
}

#[derive(Serialize)]
struct Metadata<'a> {
    document_id: i64,
    folder: &'a str,
}

#[derive(Serialize)]
struct Vector<'a> {
    id: &'a str,
    values: &'a [f32],
    metadata: Metadata<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct QueryOptions<'a> {
    top_k: usize,
    return_values: bool,
    return_metadata: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    filter: Option<Filter<'a>>,
}

#[derive(Serialize)]
struct Filter<'a> {
    folder: &'a str,
}

#[derive(Deserialize)]
struct Matches {
    matches: Vec<VectorMatch>,
}

#[async_trait]
impl Vectors for Vectorize {
    async fn upsert(&self, records: Vec<VectorRecord>) -> Result<(), VectorError> {
        if let Some(bad) = records.iter().find(|r| r.values.len() != self.dimensions) {
            return Err(VectorError::Request(format!(
                "vector {} has {} dimensions; the index holds {}",
                bad.id,
                bad.values.len(),
                self.dimensions
            )));
        }
        let vectors: Vec<Vector<'_>> = records
            .iter()
            .map(|r| Vector {
                id: &r.id,
                values: &r.values,
                metadata: Metadata { document_id: r.document_id, folder: &r.folder },
            })
            .collect();
        let promise = self.index.upsert(to_js(&vectors)?).map_err(failed)?;
        SendFuture::new(JsFuture::from(promise)).await.map_err(failed)?;
        Ok(())
    }

    async fn query(&self, query: VectorQuery) -> Result<Vec<VectorMatch>, VectorError> {
        let options = QueryOptions {
            // Vectorize returns at most 100 matches without values or metadata.
            top_k: query.top_k.min(100),
            return_values: false,
            return_metadata: "none",
            filter: query.folder.as_deref().map(|folder| Filter { folder }),
        };
        let promise = self.index.query(to_js(&query.values)?, to_js(&options)?).map_err(failed)?;
        let result = SendFuture::new(JsFuture::from(promise)).await.map_err(failed)?;
        let found: Matches =
            serde_wasm_bindgen::from_value(result).map_err(|e| VectorError::Request(e.to_string()))?;
        Ok(found.matches)
    }

    async fn delete(&self, ids: Vec<String>) -> Result<(), VectorError> {
        if ids.is_empty() {
            return Ok(());
        }
        let promise = self.index.delete_by_ids(to_js(&ids)?).map_err(failed)?;
        SendFuture::new(JsFuture::from(promise)).await.map_err(failed)?;
        Ok(())
    }

    fn dimensions(&self) -> usize {
        self.dimensions
    }
}
