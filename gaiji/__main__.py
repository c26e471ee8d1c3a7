from gaiji.cli import main

main()
