build-stress/obj/src/formats/mdm_command.o: src/formats/mdm_command.c \
 include/macext/mdm.h include/macext/err.h include/macext/plist_util.h
include/macext/mdm.h:
include/macext/err.h:
include/macext/plist_util.h:
