//! Target: the ACVP JSON reader. The input is the text of a vector-set file;
//! it is parsed and run through the module as `svsm-acvp run` does. Any
//! answer is fine (an error names where the input is wrong); a panic, a hang
//! or unbounded memory is a failure.

use svsm_acvp::run::{parse_document, run_document};

pub fn one_input(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(doc) = parse_document(text, "fuzz") else {
        return;
    };
    let module = svsm_acvp::shim::module().expect("the module is operational");
    if let Ok(outcome) = run_document(module, &doc, "fuzz") {
        // A response has the shape of its request: an array for an array.
        assert_eq!(outcome.response.is_array(), doc.is_array());
        assert!(!outcome.sets.is_empty(), "an answered document has a set");
    }
}
