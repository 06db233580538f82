from appcomply.cli.main import main

main()
