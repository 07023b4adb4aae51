fn main() -> std::process::ExitCode {
    ocm_example_gzip_transformer::main()
}
