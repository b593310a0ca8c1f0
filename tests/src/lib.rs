//! Holds no code: the black-box tests live in `api/`, one test binary.
