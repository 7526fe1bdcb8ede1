from journey_desktop.services.single_instance import (
    SingleInstanceServer,
    ask_running_instance_to_activate,
    server_name,
)


def test_names_differ_per_data_folder(tmp_path):
    assert server_name(tmp_path / "a") != server_name(tmp_path / "b")
    assert server_name(tmp_path / "a") == server_name(tmp_path / "a")


def test_second_launch_asks_the_first_to_come_forward(qtbot, tmp_path):
    server = SingleInstanceServer(tmp_path)
    assert server.listen()
    try:
        with qtbot.waitSignal(server.activation_requested, timeout=5000):
            assert ask_running_instance_to_activate(tmp_path)
    finally:
        server.close()


def test_no_running_instance(qapp, tmp_path):
    assert not ask_running_instance_to_activate(tmp_path / "nobody-here")


def test_other_data_folder_is_not_disturbed(qtbot, tmp_path):
    server = SingleInstanceServer(tmp_path / "one")
    assert server.listen()
    try:
        assert not ask_running_instance_to_activate(tmp_path / "two")
    finally:
        server.close()
