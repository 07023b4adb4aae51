fn main() -> std::process::ExitCode {
    ocm_example_rsa_signing_handler::main()
}
