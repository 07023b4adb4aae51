fn main() -> std::process::ExitCode {
    ocm_example_sha256_digester::main()
}
